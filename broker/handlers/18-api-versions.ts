// ApiVersions: advertises exactly the APIs and versions floe's handlers serve.

import { ApiVersionsApi } from '../../protocol/generated/index.ts';
import { defaultApiVersionsResponse } from '../../protocol/generated/ApiVersionsResponse.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { defineHandler, type RequestContext } from './handler.ts';
import type { ApiCatalog } from './broker-services.ts';

export const apiVersionsHandler = defineHandler({
  api: ApiVersionsApi,
  minVersion: 0,
  maxVersion: 4,
  handle: (_req, ctx: RequestContext<ApiCatalog>) => ({
    ...defaultApiVersionsResponse(),
    errorCode: ErrorCode.NONE,
    apiKeys: ctx.broker.handlers.advertised(),
  }),
});
