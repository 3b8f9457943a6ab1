import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamoDb, startS3, startSes } from '../local/emulators';

const dir = await mkdtemp(join(tmpdir(), 'verify-'));
const d = await startDynamoDb({});
const s = await startS3({ directory: join(dir, 's3'), buckets: ['ddor-site'] });
const e = await startSes({});
console.log(d.port, s.port, e.port);
Object.assign(process.env, {
  AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_ENDPOINT_URL_DYNAMODB: d.url, AWS_ENDPOINT_URL_S3: s.url, AWS_ENDPOINT_URL_SESV2: e.url,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});
const { DynamoDBClient, ListTablesCommand } = await import('@aws-sdk/client-dynamodb');
const { S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
const { SESv2Client, SendEmailCommand } = await import('@aws-sdk/client-sesv2');
console.log(await new DynamoDBClient({}).send(new ListTablesCommand({})));
const s3 = new S3Client({});
s3.middlewareStack.add((next) => async (args) => { console.log('S3 url', (args.request as {hostname:string;path:string}).hostname, (args.request as {path:string}).path); return next(args); }, { step: 'finalizeRequest' });
await s3.send(new PutObjectCommand({ Bucket: 'ddor-site', Key: 'a/b.txt', Body: 'hello' }));
const got = await s3.send(new GetObjectCommand({ Bucket: 'ddor-site', Key: 'a/b.txt' }));
console.log('got', await got.Body?.transformToString());
for (let i=0;i<3;i++) await s3.send(new PutObjectCommand({ Bucket: 'ddor-site', Key: `k${i}`, Body: 'x' }));
try { const l = await s3.send(new ListObjectsV2Command({ Bucket: 'ddor-site', MaxKeys: 2 })); console.log('list1', l.KeyCount, l.IsTruncated);
 const l2 = await s3.send(new ListObjectsV2Command({ Bucket: 'ddor-site', MaxKeys: 2, ContinuationToken: l.NextContinuationToken })); console.log('list2', l2.KeyCount);} catch (err) { console.log('list err', String(err)); }
const sent = await new SESv2Client({}).send(new SendEmailCommand({ FromEmailAddress: 'a@example.com', Destination: { ToAddresses: ['b@example.com'] }, Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } } }));
console.log('ses', sent.MessageId);
console.log((await (await fetch(`${e.url}/store`)).json()).emails.length);
await Promise.all([d.close(), s.close(), e.close()]);
console.log('closed');
