// One local Lambda execution environment (local/lambda/runtime.ts starts it): a plain Node process
// that imports the function's deployed bundle once (its init) and then runs one invocation at a
// time, as Lambda does. Plain JavaScript, so it starts without a TypeScript loader, as fast as
// the bundle allows. Between invocations the parent stops this process (SIGSTOP), as Lambda
// freezes an environment, and continues it (SIGCONT) for the next one.
//
// Usage: node host.mjs <bundle.mjs> <export name>; messages over the IPC channel.
import { pathToFileURL } from 'node:url';

const [bundle, exportName] = process.argv.slice(2);

// LOCAL_NOW (contract §1): the stack's clock, set by the stack as an offset from the real one, so
// every date the function makes (windows, quotas, sweeps, "today") runs from that time on. The
// SDK corrects its signing clock from the servers' answers, as it does for any skewed clock.
const offset = Number(process.env.LOCAL_CLOCK_OFFSET_MS ?? '0');
if (Number.isFinite(offset) && offset !== 0) {
  const RealDate = Date;
  class StackDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...args);
    }
    static now() {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = StackDate;
}
if (bundle === undefined || exportName === undefined) {
  console.error('usage: host.mjs <bundle.mjs> <export name>');
  process.exit(2);
}

/** The error as Lambda reports it: errorType, errorMessage, trace. */
function describe(error) {
  if (error instanceof Error) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}

const init = import(pathToFileURL(bundle).href).then((module) => {
  const handler = module[exportName];
  if (typeof handler !== 'function') {
    const error = new Error(`${bundle} does not export a function named ${exportName}`);
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  return handler;
});
// The parent starts the first invocation's clock once init is done, as Lambda does (init has a
// limit of its own); an init failure is reported to each invocation.
init.then(
  () => process.send({ type: 'ready' }),
  () => process.send({ type: 'ready' }),
);

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  const { id, event, remainingMs, requestId, functionName, memoryMb } = message;
  // On this process's clock (LOCAL_NOW may move it), so getRemainingTimeInMillis stays true.
  const deadline = Date.now() + remainingMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const handler = await init;
    const value = await handler(event, context);
    process.send({ type: 'result', id, ok: true, value: value ?? null });
  } catch (error) {
    process.send({ type: 'result', id, ok: false, error: describe(error) });
  }
});

// The parent is gone (a stop, a crash): nothing is left to answer.
process.on('disconnect', () => process.exit(0));
