import { Cron } from 'croner';
import { reportTimeZone } from '#config/env';
import { FUNCTIONS, localQueueSettings, QUEUES } from '#config/runtime';
import { cronerPattern, scheduleFor } from '#config/schedule';
import { DEPLOYED_TIMING } from '#core/subscriptions/timing';
import type { LocalQueue } from './stack';

/**
 * The product's queues and schedule as the local stack runs them: the same functions the CDK
 * app deploys (publisher on the publish queue, sender on the send queue, the weekly report on
 * the schedule), from the same definitions (`#config/runtime`, `#config/schedule`): the deployed
 * settings, with only the waits shrunk by LOCAL_TIME_SCALE.
 */
export const PUBLISH_QUEUE = QUEUES.publish.name;
export const SEND_QUEUE = QUEUES.send.name;

/** The product's queues, with waits shrunk by `timeScale` (LOCAL_TIME_SCALE). */
export function productQueues(timeScale = 1): LocalQueue[] {
  return (Object.keys(QUEUES) as (keyof typeof QUEUES)[]).map((key) => {
    const queue = localQueueSettings(key, timeScale);
    return {
      name: queue.name,
      envVar: queue.envVar,
      visibilityTimeout: queue.visibilityTimeoutSeconds,
      dlqName: `${queue.name}-dlq`,
      maxReceiveCount: queue.maxReceiveCount,
      batchSize: queue.batchSize,
      maxConcurrency: queue.maxConcurrency,
      functionName: queue.consumer,
      timeoutSeconds: FUNCTIONS[queue.consumer].timeoutSeconds,
      function: queue.consumer,
    };
  });
}

/** The weekly schedule with croner, from the one definition CDK also uses, invoking the report function. */
export function startWeeklySchedule(
  log: (line: string) => void,
  invoke: (event: { scheduledTime: string }) => Promise<{ weeks: string[] }>,
): {
  stop(): void;
  pattern: string;
  next?: Date;
} {
  const schedule = scheduleFor(reportTimeZone());
  const pattern = cronerPattern(schedule);
  const job = new Cron(pattern, { timezone: schedule.timeZone, protect: true }, async () => {
    const scheduledTime = new Date().toISOString();
    try {
      const out = await invoke({ scheduledTime });
      log(`weekly run at ${scheduledTime}: queued ${out.weeks.join(', ')}`);
    } catch (error) {
      log(`weekly run at ${scheduledTime} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  const next = job.nextRun() ?? undefined;
  return { stop: () => job.stop(), pattern, ...(next ? { next } : {}) };
}

/**
 * The daily sweep of forgotten subscribers (lib/constructs/subscriptions.ts: a Scheduler rate of
 * the same interval), its interval shrunk by LOCAL_TIME_SCALE like every local wait.
 */
export function startSweepSchedule(
  log: (line: string) => void,
  invoke: (event: Record<string, never>) => Promise<{ deleted: number }>,
  timeScale = 1,
): { stop(): void } {
  let running = false;
  const timer = setInterval(
    async () => {
      if (running) return;
      running = true;
      try {
        const out = await invoke({});
        if (out.deleted > 0) log(`subscription sweep: ${out.deleted} forgotten subscribers deleted`);
      } catch (error) {
        log(`subscription sweep failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        running = false;
      }
    },
    Math.max(1000, DEPLOYED_TIMING.sweepIntervalMs * timeScale),
  );
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
