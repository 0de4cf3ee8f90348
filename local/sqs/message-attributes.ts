/**
 * Message attributes (`MessageAttributes` of SendMessage): checked as SQS checks them,
 * and digested the way SQS computes `MD5OfMessageAttributes` (names sorted; each name,
 * data type and value length-prefixed, with a transport byte 1 for strings, 2 for binary).
 */
import { createHash } from 'node:crypto';
import { SqsError } from './errors.ts';

/** A message attribute as the JSON protocol carries it (binary as base64). */
export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

const NAME = /^(?!\.)(?!.*\.\.)(?!.*\.$)[A-Za-z0-9_.-]{1,256}$/;
const MAX_ATTRIBUTES = 10;

const invalid = (message: string) => new SqsError('InvalidParameterValue', message);

export function validatedMessageAttributes(given: unknown): Record<string, MessageAttribute> {
  if (given === undefined || given === null) return {};
  if (typeof given !== 'object' || Array.isArray(given)) throw invalid('MessageAttributes must be a map.');
  const entries = Object.entries(given);
  if (entries.length > MAX_ATTRIBUTES) {
    throw invalid(
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`,
    );
  }
  const result: Record<string, MessageAttribute> = {};
  for (const [name, value] of entries) {
    if (!NAME.test(name) || /^(aws\.|amazon\.)/i.test(name)) {
      throw invalid(`Message attribute name '${name}' is invalid.`);
    }
    if (typeof value !== 'object' || value === null)
      throw invalid(`Message attribute '${name}' must be a structure.`);
    const { DataType, StringValue, BinaryValue } = value as Record<string, unknown>;
    if (typeof DataType !== 'string' || !/^(String|Number|Binary)(\..+)?$/.test(DataType)) {
      throw invalid(`The type of message attribute '${name}' is invalid: ${JSON.stringify(DataType)}.`);
    }
    const binary = DataType.startsWith('Binary');
    if (binary ? typeof BinaryValue !== 'string' : typeof StringValue !== 'string' || StringValue === '') {
      throw invalid(
        `Message attribute '${name}' must contain a non-empty ${binary ? 'binary' : 'string'} value.`,
      );
    }
    result[name] = binary
      ? { DataType, BinaryValue: BinaryValue as string }
      : { DataType, StringValue: StringValue as string };
  }
  return result;
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** MD5OfMessageAttributes, or undefined for a message without attributes. */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttribute>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const attribute = attributes[name] as MessageAttribute;
    hash.update(lengthPrefixed(Buffer.from(name, 'utf8')));
    hash.update(lengthPrefixed(Buffer.from(attribute.DataType, 'utf8')));
    if (attribute.BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      hash.update(lengthPrefixed(Buffer.from(attribute.BinaryValue, 'base64')));
    } else {
      hash.update(Buffer.from([1]));
      hash.update(lengthPrefixed(Buffer.from(attribute.StringValue ?? '', 'utf8')));
    }
  }
  return hash.digest('hex');
}

export const md5Of = (body: string): string => createHash('md5').update(body, 'utf8').digest('hex');

/** The bytes a message counts against MaximumMessageSize: body, attribute names, types and values. */
export function messageSize(body: string, attributes: Record<string, MessageAttribute>): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, attribute] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(attribute.DataType, 'utf8');
    size +=
      attribute.BinaryValue !== undefined
        ? Buffer.from(attribute.BinaryValue, 'base64').length
        : Buffer.byteLength(attribute.StringValue ?? '', 'utf8');
  }
  return size;
}
