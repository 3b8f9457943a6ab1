/**
 * Child process: dynalite, in a process of its own so that the benchmark's client code
 * (generating, marshalling, unmarshalling) and the other emulators do not share its event loop
 * and heap, as a remote DynamoDB would not. In memory, or in LevelDB under the directory given
 * as the first argument. Sends `{ url }` as an event once listening; closes on "stop" and exits.
 */
import { startDynamoDb } from '#local/emulators';
import { childEvent, onParentMessage, runAsChild, startChild } from './child-process';

/** Starts dynalite in a child process of the caller; resolves once it listens. */
export async function startDynaliteProcess(
  log: (line: string) => void,
  path?: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  let listening: (url: string) => void = () => undefined;
  const url = new Promise<string>((resolve) => {
    listening = resolve;
  });
  const child = startChild<unknown>('bench/support/dynalite-main.ts', {
    args: path === undefined ? [] : [path],
    log,
    onEvent: (event) => {
      if (typeof event === 'object' && event !== null && 'url' in event) listening(String(event.url));
    },
  });
  const endpoint = await Promise.race([url, child.result.then(() => '')]);
  if (endpoint === '') throw new Error('dynalite did not start');
  return {
    url: endpoint,
    async stop() {
      child.send('stop');
      await child.result;
    },
  };
}

if (process.argv[1]?.endsWith('dynalite-main.ts') === true) {
  const path = process.argv[2];
  await runAsChild(async () => {
    const dynamo = await startDynamoDb(path === undefined ? {} : { path });
    const stopped = new Promise<void>((resolve) =>
      onParentMessage((message) => message === 'stop' && resolve()),
    );
    childEvent({ url: dynamo.url });
    await stopped;
    await dynamo.close();
    return { closed: true };
  });
}
