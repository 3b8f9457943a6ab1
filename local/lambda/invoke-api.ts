import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, type RunningEmulator, running } from '../emulators';
import { FunctionError, type LocalFunction } from './runtime';

/**
 * The Lambda `Invoke` API (`POST /2015-03-31/functions/{name}/invocations`) for the local
 * functions, so a command invokes a function as it does deployed (`npm run publish`, `npm run
 * weekly`), through the IAM gate that checks `lambda:InvokeFunction`. A function error answers
 * 200 with `X-Amz-Function-Error: Unhandled` and Lambda's error payload; `Event` invocations
 * answer 202 and run on.
 */
export async function startInvokeApi(
  functions: () => ReadonlyMap<string, LocalFunction>,
  port = 0,
): Promise<RunningEmulator> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        response.writeHead(status, { 'content-type': 'application/json', ...headers });
        response.end(JSON.stringify(body));
      };
      const name = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(
        new URL(request.url ?? '/', 'http://local').pathname,
      )?.[1];
      const fn =
        name === undefined ? undefined : functions().get(decodeURIComponent(name).split(':').pop() ?? '');
      if (request.method !== 'POST' || fn === undefined) {
        json(
          404,
          { Type: 'User', message: `Function not found: ${name ?? request.url}` },
          { 'x-amzn-errortype': 'ResourceNotFoundException' },
        );
        return;
      }
      let event: unknown;
      try {
        event = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        json(
          400,
          { Type: 'User', message: 'Could not parse request body into json' },
          {
            'x-amzn-errortype': 'InvalidRequestContentException',
          },
        );
        return;
      }
      const type = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
      if (type === 'DryRun') {
        response.writeHead(204).end();
        return;
      }
      if (type === 'Event') {
        fn.invoke(event).catch(() => undefined);
        response.writeHead(202).end();
        return;
      }
      try {
        json(200, (await fn.invoke(event)) ?? null, { 'x-amz-executed-version': '$LATEST' });
      } catch (error) {
        const failure =
          error instanceof FunctionError
            ? { errorType: error.errorType, errorMessage: error.message, trace: error.trace }
            : { errorType: 'Error', errorMessage: String(error), trace: [] };
        json(200, failure, { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' });
      }
    });
  });
  const bound = await listen(server, 'Lambda API', port);
  return running(server, bound);
}
