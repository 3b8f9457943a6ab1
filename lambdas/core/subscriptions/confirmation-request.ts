import * as z from 'zod/mini';
import '#core/zod-messages';
import { MAX_ADDRESS_LENGTH } from './email-address';

/**
 * The message `POST /subscriptions` queues, and the confirmation worker reads: the address as it
 * was typed (validated at the edge, checked again here like every queue message) and when it was
 * asked for, which decides how long it may wait for the budget.
 */
export const confirmationRequestSchema = z.strictObject({
  address: z.string().check(z.minLength(3), z.maxLength(MAX_ADDRESS_LENGTH)),
  requestedAt: z.iso.datetime(),
});

export type ConfirmationRequest = z.infer<typeof confirmationRequestSchema>;
