// The object-store backends the broker integration suites run against: the
// filesystem default, and S3 through a real S3-compatible server (s3rver)
// that the suite starts itself.

import { S3TestServer, S3_TEST_BUCKET, S3_TEST_CREDENTIALS } from './s3-server.ts';

export interface BackendHandle {
  name: string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export const BACKENDS = ['filesystem', 's3'] as const;

export async function startBackend(name: (typeof BACKENDS)[number]): Promise<BackendHandle> {
  if (name === 'filesystem') return { name, env: {}, stop: async () => {} };
  const s3 = new S3TestServer();
  await s3.start();
  return {
    name,
    env: {
      FLOE_S3_ENDPOINT: s3.endpoint,
      FLOE_S3_BUCKET: S3_TEST_BUCKET,
      FLOE_S3_KEY_PREFIX: `run-${Date.now()}/`,
      AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
    },
    stop: () => s3.destroy(),
  };
}
