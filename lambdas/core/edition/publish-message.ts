import * as z from 'zod';

/**
 * The publish queue's message: one weekly run, as the report function queues it, with its
 * publications in order (re-issues first, then the week that is emailed). One message keeps the
 * order that SQS would not. The report function makes it and the publisher reads it, both
 * through this one schema.
 */
export const publishMessageSchema = z.strictObject({
  publications: z
    .array(z.strictObject({ week: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), email: z.boolean() }))
    .min(1)
    .max(1000),
});

export type PublishMessage = z.infer<typeof publishMessageSchema>;
