import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/local-stack';
import { recordDecline, subscribeAndConfirm, waitForQueuesIdle } from '../support/publishing';

/**
 * The log format of every function (issue 13): what a function prints is one JSON object a line,
 * either a Powertools log entry with the invocation's request id and the service, or an EMF
 * metrics document; no console.* text, nothing CloudWatch Logs Insights cannot query.
 */
// Written before editorial review: the weekly run publishes at once.
const stack = useLocalStack({ review: { mode: 'off' } });

const county = { id: 'XQLF0101', name: 'Synthetic Logformat County Sheriff’s Office', state: 'SD' };
const WEEK = '2017-04-01';

describe('function logs', () => {
  it('are JSON lines with the request id, or EMF, for every function that ran', async () => {
    // A week through its whole flow: intake, a subscriber confirmed, publish, send, the run, the monitor, the sweep.
    await recordDecline(stack(), county, 'LOGFORMAT-1', WEEK);
    await stack().api('/outcomes/LOGFORMAT-bad', { method: 'PUT', body: { issuedOn: 'soon' } });
    await subscribeAndConfirm(stack(), 'logformat-reader@example.org');
    await stack().functions.get('publish')?.invoke({ date: WEEK, email: true });
    await stack().functions.get('report')?.invoke({ scheduledTime: new Date().toISOString() });
    await stack().functions.get('monitor')?.invoke({});
    await stack().functions.get('subscriptionSweep')?.invoke({});
    await waitForQueuesIdle(stack(), 60_000);

    const logged = new Set<string>();
    for (const [key, fn] of stack().functions) {
      for (const line of fn.logs().filter((l) => l.trim() !== '')) {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          throw new Error(`${key} printed a line that is not JSON: ${line}`);
        }
        logged.add(key);
        if ('_aws' in entry) {
          expect(entry, `${key}: ${line}`).toMatchObject({
            service: 'ddor',
            _aws: { CloudWatchMetrics: [{ Namespace: 'ddor' }] },
          });
          continue;
        }
        expect(entry, `${key}: ${line}`).toMatchObject({
          level: expect.stringMatching(/^(DEBUG|INFO|WARN|ERROR|CRITICAL)$/),
          message: expect.any(String),
          timestamp: expect.any(String),
          service: 'ddor',
          function_name: expect.stringContaining(key),
          function_request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        });
      }
    }
    // Each of these has something to say on this flow.
    for (const key of ['intake', 'subscriptions', 'confirmations', 'publish', 'send', 'report', 'monitor'])
      expect([...logged], key).toContain(key);
  }, 120_000);
});
