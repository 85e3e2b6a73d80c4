// A caller's buffer range, checked before anything is bound: a real GPUBuffer with STORAGE usage,
// a 4-byte aligned offset, a whole number of elements that fit in the buffer.
import type { Region } from '../backend.js';
import { InvalidArgumentError, describe } from '../errors.js';
import { BufferUsage } from './constants.js';

/** `{ buffer, offset?, length }` as a region of the buffer, or an InvalidArgumentError naming `argument`'s part. */
export function checkView(value: unknown, argument: string): Region<GPUBuffer> {
  if (typeof value !== 'object' || value === null || !('buffer' in value)) {
    throw new InvalidArgumentError(argument, 'a Tensor or a { buffer, offset?, length } view of a GPUBuffer', describe(value));
  }
  const { buffer, offset = 0, length } = value as { buffer: GPUBuffer; offset?: number; length: number };
  if (typeof buffer?.usage !== 'number' || typeof buffer.size !== 'number') {
    throw new InvalidArgumentError(`${argument}.buffer`, 'a GPUBuffer', describe(buffer));
  }
  if ((buffer.usage & BufferUsage.STORAGE) === 0) {
    throw new InvalidArgumentError(`${argument}.buffer`, 'a GPUBuffer with STORAGE usage', `one with usage 0x${buffer.usage.toString(16)}`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0) {
    throw new InvalidArgumentError(`${argument}.offset`, 'a non-negative byte offset that is a multiple of 4', describe(offset));
  }
  if (!Number.isInteger(length) || length < 0) {
    throw new InvalidArgumentError(`${argument}.length`, 'a non-negative integer number of elements', describe(length));
  }
  if (offset + 4 * length > buffer.size) {
    throw new InvalidArgumentError(
      `${argument}.length`,
      `at most ${Math.floor((buffer.size - Math.min(offset, buffer.size)) / 4)} elements (the buffer holds ${buffer.size} bytes from offset ${offset})`,
      String(length),
    );
  }
  return { storage: buffer, offset, length };
}
