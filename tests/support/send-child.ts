/**
 * A sender in its own process, for the tests that kill it (SIGKILL) mid-batch:
 *
 *   DATA_DIR=… tsx tests/support/send-child.ts JOB_JSON OWNER CLOCK_OFFSET_MS SUBJECT [SES_ENDPOINT]
 *
 * Finds the running local stack through $DATA_DIR/stack.json as the commands do, then runs
 * sendBatch with the real ledger, subscriber store and SES, its clock moved CLOCK_OFFSET_MS ahead
 * (so a restart finds the killed run's leases expired), through SES_ENDPOINT when given (a proxy
 * in front of the stack's SES server). It prints one line per step to stdout
 * (synchronous on a pipe on Linux, so what it printed before a kill arrives):
 * `ready`, `sending <address>`, `accepted <address>`, `marked <address>`, `done <json>`.
 */
import { credentialEnvironment, rolePrincipal } from '#local/iam/principals';
import { subscriptionSecretPath } from '#local/subscription-environment';
import { connect } from '../../scripts/stack-connection';

async function main(): Promise<void> {
  const [jobJson = '', owner = '', offset = '0', subject = '', sesEndpoint] = process.argv.slice(2);
  const connection = await connect({ deployed: false });
  // It stands in for the sender function: the sender role's credentials, as the gates know them.
  Object.assign(process.env, credentialEnvironment(rolePrincipal('send', [])));
  if (sesEndpoint !== undefined) process.env.AWS_ENDPOINT_URL_SESV2 = sesEndpoint;
  const { DynamoLedgerStore } = await import('#adapters/ledger-store');
  const { sendEmail } = await import('#adapters/mailer');
  const { FileSecretSource } = await import('#adapters/secret-source');
  const { DynamoSubscriberStore } = await import('#adapters/subscriber-store');
  const { sendBatch, UNSUBSCRIBE_PLACEHOLDER } = await import('#core/mail/send-ledger');
  const { listUnsubscribeHeaders, unsubscribeUrl } = await import('#core/subscriptions/links');
  const job = JSON.parse(jobJson) as { week: string; revision: number; addresses: string[] };
  const ledger = new DynamoLedgerStore();
  const subscribers = new DynamoSubscriberStore();
  const key = await new FileSecretSource(subscriptionSecretPath(connection.dataDir ?? '')).key();
  const now = () => new Date(Date.now() + Number(offset));
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say('ready');
  const outcome = await sendBatch(
    {
      ledger: {
        claim: (...args) => ledger.claim(...args),
        markSent: async (...args) => {
          await ledger.markSent(...args);
          say(`marked ${args[1]}`);
        },
        markSkipped: (...args) => ledger.markSkipped(...args),
        queueState: (edition) => ledger.queueState(edition),
        progress: (edition) => ledger.progress(edition),
        startQueueing: (...args) => ledger.startQueueing(...args),
        finishQueueing: (...args) => ledger.finishQueueing(...args),
        markUnknown: (...args) => ledger.markUnknown(...args),
        release: (...args) => ledger.release(...args),
        markRejected: (...args) => ledger.markRejected(...args),
        reconcile: (...args) => ledger.reconcile(...args),
        notePause: (...args) => ledger.notePause(...args),
        clearPause: (...args) => ledger.clearPause(...args),
        settledAddresses: (...args) => ledger.settledAddresses(...args),
      },
      subscriber: (address) => subscribers.get(address),
      email: async () => ({
        subject,
        html: `<p>${subject}</p><p><a href="${UNSUBSCRIBE_PLACEHOLDER}">Unsubscribe</a></p>`,
        text: `${subject}\n\nUnsubscribe: ${UNSUBSCRIBE_PLACEHOLDER}\n`,
      }),
      unsubscribeUrl: async (subscriber) => unsubscribeUrl(connection.gateway ?? '', key, subscriber),
      headers: (link) => listUnsubscribeHeaders(link),
      send: async (message) => {
        say(`sending ${message.to}`);
        const { messageId } = await sendEmail(message);
        say(`accepted ${message.to}`);
        return messageId;
      },
      rate: { take: async () => undefined },
      now,
      owner,
      leaseMs: 60_000,
      isThrottling: () => false,
      isUnknownOutcome: () => false,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
    job,
  );
  say(`done ${JSON.stringify(outcome)}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
