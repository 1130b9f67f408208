// JoinGroup (classic protocol): hands the request to the group's state machine.

import { JoinGroupApi } from '../../protocol/generated/index.ts';
import { defaultJoinGroupResponse } from '../../protocol/generated/JoinGroupResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, ResourceType } from '../security/acl.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { GroupServices } from './broker-services.ts';

export const joinGroupHandler = defineHandler({
  api: JoinGroupApi,
  minVersion: 0,
  maxVersion: 9,
  handle: async (req, ctx: RequestContext<GroupServices>) => {
    if (req.groupId === '') return { ...defaultJoinGroupResponse(), errorCode: ErrorCode.INVALID_GROUP_ID, generationId: -1, memberId: req.memberId };
    if (!ctx.allowed(AclOperation.READ, ResourceType.GROUP, req.groupId)) return { ...defaultJoinGroupResponse(), errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, memberId: req.memberId };
    const notHere = ctx.broker.groups.coordinatorError(req.groupId);
    if (notHere !== undefined) return { ...defaultJoinGroupResponse(), errorCode: notHere, generationId: -1, memberId: req.memberId };
    const group = ctx.broker.groups.groupOrCreate(req.groupId);
    if (group === undefined) {
      // The id belongs to a KIP-848 group with members, or the coordinator is full.
      const errorCode = (ctx.broker.groups.consumerGroup(req.groupId)?.size ?? 0) > 0 ? ErrorCode.INCONSISTENT_GROUP_PROTOCOL : ErrorCode.COORDINATOR_NOT_AVAILABLE;
      return { ...defaultJoinGroupResponse(), errorCode, generationId: -1, memberId: req.memberId };
    }
    const r = await group.join({
      memberId: req.memberId, groupInstanceId: req.groupInstanceId, sessionTimeoutMs: req.sessionTimeoutMs,
      // v0 has no rebalance timeout: Kafka uses the session timeout.
      rebalanceTimeoutMs: ctx.apiVersion === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
      protocolType: req.protocolType, protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      clientId: ctx.clientId ?? '', clientHost: ctx.clientHost, requireKnownMemberId: ctx.apiVersion >= 4,
    });
    // A returning static member may have changed the persisted generation.
    await ctx.broker.groups.flushed(req.groupId);
    return {
      ...defaultJoinGroupResponse(), errorCode: r.errorCode, generationId: r.generationId, protocolType: r.protocolType,
      // ProtocolName is nullable from v7; before that Kafka sends "" when there is none.
      protocolName: r.protocolName ?? (ctx.apiVersion >= 7 ? null : ''), leader: r.leader, memberId: r.memberId, members: r.members,
    };
  },
});
