import { expect, it } from 'vitest';
import { fileSize, smallFileSize } from '../../../common/file-size';

it('writes a small file’s size as a person reads it, never "0 KB"', () => {
  expect(smallFileSize(0)).toBe('0 bytes');
  expect(smallFileSize(1)).toBe('1 byte');
  expect(smallFileSize(312)).toBe('312 bytes');
  expect(smallFileSize(14_500)).toBe('14 KB');
  expect(smallFileSize(3.2 * 2 ** 20)).toBe('3.2 MB');
  // A database or a model: whole MB, then GB to a tenth.
  expect(fileSize(5 * 2 ** 20 + 1)).toBe('6 MB');
  expect(fileSize(1.5 * 2 ** 30)).toBe('1.5 GB');
});
