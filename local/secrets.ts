import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, type RunningEmulator, running } from './emulators';
import { ACCOUNT_ID, REGION } from './sqs/queues';

/**
 * A Secrets Manager stand-in for the one call the product makes, `GetSecretValue` (AWS JSON 1.1),
 * serving the subscription secret and the origin secret from their files in DATA_DIR (made on
 * first use, mode 0600). The functions read them through the same SDK call as deployed, and the
 * IAM gate in front of this server checks `secretsmanager:GetSecretValue` on each ARN.
 */
export const LOCAL_SECRET_NAME = 'ddor-subscription-secret';
export const LOCAL_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${LOCAL_SECRET_NAME}-LOCAL`;
export const LOCAL_ORIGIN_SECRET_NAME = 'ddor-origin-secret';
export const LOCAL_ORIGIN_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${LOCAL_ORIGIN_SECRET_NAME}-LOCAL`;

export interface SecretsOptions {
  /** The subscription secret's file (`subscriptionSecretPath(dataDir)`). */
  readonly path: string;
  /** The origin secret's file (`originSecretPath(dataDir)`). */
  readonly originPath: string;
  readonly port?: number;
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  response.end(JSON.stringify(body));
}

export async function startSecretsStandIn(options: SecretsOptions): Promise<RunningEmulator> {
  // Imported at the first request: the adapter module makes its SDK client when loaded, which
  // must come after the stack has set the SDK's environment.
  const secrets = [
    { arn: LOCAL_SECRET_ARN, name: LOCAL_SECRET_NAME, path: options.path, label: 'subscription secret' },
    {
      arn: LOCAL_ORIGIN_SECRET_ARN,
      name: LOCAL_ORIGIN_SECRET_NAME,
      path: options.originPath,
      label: 'origin secret',
    },
  ];
  const sources = new Map<string, Promise<{ key(): Promise<Uint8Array> }>>();
  const secretFile = (path: string, label: string) => {
    let source = sources.get(path);
    if (source === undefined) {
      source = import('#adapters/secret-source').then(
        ({ FileSecretSource }) => new FileSecretSource(path, label),
      );
      sources.set(path, source);
    }
    return source;
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      try {
        const operation = String(request.headers['x-amz-target'] ?? '')
          .split('.')
          .pop();
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: string };
        if (operation !== 'GetSecretValue') {
          answer(response, 400, {
            __type: 'InvalidRequestException',
            message: `the local stand-in serves GetSecretValue only, not ${operation}`,
          });
          return;
        }
        const secret = secrets.find(
          (candidate) => input.SecretId === candidate.arn || input.SecretId === candidate.name,
        );
        if (secret === undefined) {
          answer(response, 400, {
            __type: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret.",
          });
          return;
        }
        await (await secretFile(secret.path, secret.label)).key();
        const text = (await readFile(secret.path, 'utf8')).trim();
        answer(response, 200, {
          ARN: secret.arn,
          Name: secret.name,
          SecretString: text,
          VersionId: 'local',
          VersionStages: ['AWSCURRENT'],
          CreatedDate: 0,
        });
      } catch (error) {
        answer(response, 500, {
          __type: 'InternalServiceError',
          message: error instanceof Error ? error.message : String(error),
        });
      }
    });
  });
  const port = await listen(server, 'Secrets Manager stand-in', options.port ?? 0);
  return running(server, port);
}
