// DeleteTopics: by name (v0-5) and by name or topic id (v6+). The topic's
// streams and index entries are removed at once; object bytes shared with
// other streams are reclaimed by object GC (not built yet).

import { DeleteTopicsApi } from '../../protocol/generated/index.ts';
import { defaultDeleteTopicsResponse, type DeletableTopicResult } from '../../protocol/generated/DeleteTopicsResponse.ts';
import { ZERO_UUID } from '../../protocol/primitives/reader.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { TopicAdmin } from './broker-services.ts';

export const deleteTopicsHandler = defineHandler({
  api: DeleteTopicsApi,
  minVersion: 0,
  maxVersion: 6,
  handle: async (req, ctx: RequestContext<TopicAdmin>) => {
    const { broker } = ctx;
    const wanted = ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses: DeletableTopicResult[] = [];
    for (const w of wanted) {
      const t = w.name !== null ? broker.topics.get(w.name) : broker.topics.getById(w.topicId);
      const name = w.name ?? t?.name;
      if (name !== undefined && !ctx.allowed(AclOperation.DELETE, ResourceType.TOPIC, name)) {
        responses.push({ name: w.name, topicId: w.topicId, errorMessage: null, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
        continue;
      }
      if (t === undefined) {
        responses.push({
          name: w.name, topicId: w.topicId, errorMessage: null,
          errorCode: w.name === null ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        });
        continue;
      }
      await broker.deleteTopic(t.name);
      responses.push({ name: t.name, topicId: t.id, errorCode: ErrorCode.NONE, errorMessage: null });
    }
    return { ...defaultDeleteTopicsResponse(), responses };
  },
});
