/**
 * The local SQS server alone in a process of its own, on the folder given, so a test can kill it
 * with SIGKILL (no close, no flush) and start it again. Prints `port <n>` once listening.
 */
import { startSqsServer } from '#local/sqs/server';

const [dataDir] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: sqs-child.ts <dataDir>');
const server = await startSqsServer({ dataDir });
process.stdout.write(`port ${server.port}\n`);
