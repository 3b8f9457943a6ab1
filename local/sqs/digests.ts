import { createHash } from 'node:crypto';

/** A message attribute as it travels in the JSON protocol: binary values are base64. */
export interface WireMessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string | undefined;
  readonly BinaryValue?: string | undefined;
}

/** The SDK checks MD5OfBody and MD5OfMessageBody against the body it sent or received. */
export function md5OfBody(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

/**
 * MD5OfMessageAttributes as SQS computes it: for each attribute in order of name, the name, the
 * data type (each as a 4-byte big-endian length and UTF-8 bytes), a transport byte (1 string,
 * 2 binary) and the value (length and bytes). Undefined when there are no attributes, as SQS omits it.
 */
export function md5OfMessageAttributes(
  attributes: Readonly<Record<string, WireMessageAttribute>>,
): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  const field = (bytes: Buffer): void => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  };
  for (const name of names) {
    const attribute = attributes[name];
    if (attribute === undefined) continue;
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(attribute.DataType, 'utf8'));
    if (attribute.BinaryValue !== undefined && attribute.DataType.startsWith('Binary')) {
      hash.update(Buffer.of(2));
      field(Buffer.from(attribute.BinaryValue, 'base64'));
    } else {
      hash.update(Buffer.of(1));
      field(Buffer.from(attribute.StringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}
