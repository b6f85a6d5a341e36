import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { readEpubBook } from '../src/book/epub-reader.js';
import { crc32, crc32Table } from '../src/book/crc32.js';
import { openZipArchive } from '../src/book/zip-archive.js';
import { buildEpub } from './helpers/book-epub.js';

const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

/** Offsets of the central directory entry and the local header naming `name`. */
function headersOf(zip: Uint8Array, name: string): { directory: number; local: number } {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const wanted = Buffer.from(name, 'utf8');
  for (let at = zip.length - 46; at >= 0; at -= 1) {
    if (view.getUint32(at, true) !== DIRECTORY_ENTRY) continue;
    const nameLength = view.getUint16(at + 28, true);
    if (Buffer.from(zip.subarray(at + 46, at + 46 + nameLength)).equals(wanted)) {
      const local = view.getUint32(at + 42, true);
      assert.equal(view.getUint32(local, true), LOCAL_HEADER);
      return { directory: at, local };
    }
  }
  throw new Error(`no entry ${name}`);
}

/** A copy of `zip` whose entry `name` declares `size` bytes (directory and local header alike). */
function declaringSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const copy = zip.slice();
  const view = new DataView(copy.buffer);
  const { directory, local } = headersOf(copy, name);
  view.setUint32(directory + 24, size, true);
  view.setUint32(local + 22, size, true);
  return copy;
}

/**
 * A zip of stored entries written by hand in the ZIP64 form: every entry's sizes and offset in
 * its ZIP64 extra field (0xFFFFFFFF in the header), and a ZIP64 end record with its locator.
 * `declared` overrides an entry's declared size.
 */
function zip64Of(files: Record<string, string>, declared: Record<string, number> = {}): Uint8Array {
  const parts: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text, 'utf8');
    const nameBytes = Buffer.from(name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(45, 4);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    parts.push(local, nameBytes, data);
    const extra = Buffer.alloc(4 + 24);
    extra.writeUInt16LE(1, 0);
    extra.writeUInt16LE(24, 2);
    extra.writeBigUInt64LE(BigInt(declared[name] ?? data.length), 4);
    extra.writeBigUInt64LE(BigInt(data.length), 12);
    extra.writeBigUInt64LE(BigInt(offset), 20);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(45, 4);
    entry.writeUInt16LE(45, 6);
    entry.writeUInt16LE(0x800, 8);
    entry.writeUInt32LE(crc32(data), 16);
    entry.writeUInt32LE(0xffffffff, 20);
    entry.writeUInt32LE(0xffffffff, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt16LE(extra.length, 30);
    entry.writeUInt32LE(0xffffffff, 42);
    directory.push(entry, nameBytes, extra);
    offset += local.length + nameBytes.length + data.length;
  }
  const directoryBytes = Buffer.concat(directory);
  const count = Object.keys(files).length;
  const end64 = Buffer.alloc(56);
  end64.writeUInt32LE(0x06064b50, 0);
  end64.writeBigUInt64LE(44n, 4);
  end64.writeBigUInt64LE(BigInt(count), 24);
  end64.writeBigUInt64LE(BigInt(count), 32);
  end64.writeBigUInt64LE(BigInt(directoryBytes.length), 40);
  end64.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + directoryBytes.length), 8);
  locator.writeUInt32LE(1, 16);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0xffff, 8);
  end.writeUInt16LE(0xffff, 10);
  end.writeUInt32LE(0xffffffff, 12);
  end.writeUInt32LE(0xffffffff, 16);
  return new Uint8Array(Buffer.concat([...parts, directoryBytes, end64, locator, end]));
}

const TEXT = 'The Tortoise never for a moment stopped, but went on with a slow but steady pace. '.repeat(20);

const zipOf = (level: 0 | 6) =>
  zipSync({ 'a.txt': [strToU8(TEXT), { level }], 'b.txt': [strToU8('second entry'), { level }] });

describe('zip entries that disagree with their central directory', () => {
  it('reads an honest archive exactly, stored and deflated', () => {
    for (const level of [0, 6] as const) {
      const zip = openZipArchive(zipOf(level), 'honest.zip');
      assert.deepEqual(zip.names, ['a.txt', 'b.txt']);
      assert.equal(zip.readText('a.txt'), TEXT);
      assert.equal(zip.readText('b.txt'), 'second entry');
      assert.equal(zip.read('missing.txt'), undefined);
    }
  });

  it('refuses an entry that inflates to more than its understated size, never cut', () => {
    for (const level of [0, 6] as const) {
      const crafted = declaringSize(zipOf(level), 'a.txt', 100);
      const zip = openZipArchive(crafted, 'understated.zip');
      assert.throws(() => zip.read('a.txt'), {
        name: 'UsageError',
        message:
          /^understated\.zip: refused: the archive's entry `a\.txt` is damaged or crafted: it holds more than the 100 bytes its directory entry declares$/,
      });
      assert.equal(zip.readText('b.txt'), 'second entry', 'the other entries still read');
    }
  });

  it('refuses an entry that holds less than its overstated size', () => {
    for (const level of [0, 6] as const) {
      const crafted = declaringSize(zipOf(level), 'a.txt', TEXT.length + 7);
      assert.throws(() => openZipArchive(crafted, 'overstated.zip').read('a.txt'), {
        name: 'UsageError',
        message: new RegExp(
          `it holds ${TEXT.length} bytes, not the ${TEXT.length + 7} its directory entry declares`,
        ),
      });
    }
  });

  it('refuses an entry whose content does not match its CRC-32', () => {
    const crafted = zipOf(0).slice();
    const { local } = headersOf(crafted, 'a.txt');
    const view = new DataView(crafted.buffer);
    const dataAt = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    crafted[dataAt] = 'X'.charCodeAt(0);
    assert.throws(() => openZipArchive(crafted, 'crc.zip').read('a.txt'), {
      name: 'UsageError',
      message: /crc\.zip: refused: .*`a\.txt`.*CRC-32 does not match/,
    });
  });

  it('refuses an encrypted entry and an unknown compression method by name', () => {
    const encrypted = zipOf(0).slice();
    const view = new DataView(encrypted.buffer);
    const { directory } = headersOf(encrypted, 'b.txt');
    view.setUint16(directory + 8, view.getUint16(directory + 8, true) | 1, true);
    assert.throws(() => openZipArchive(encrypted, 'enc.zip').read('b.txt'), {
      message: /enc\.zip: refused: .*`b\.txt`.*it is encrypted/,
    });
    const method = zipOf(0).slice();
    new DataView(method.buffer).setUint16(headersOf(method, 'b.txt').directory + 10, 12, true);
    assert.throws(() => openZipArchive(method, 'bz.zip').read('b.txt'), {
      message: /bz\.zip: refused: .*`b\.txt`.*compression method 12 is not supported/,
    });
  });

  it('refuses a truncated archive as unreadable', () => {
    const zip = zipOf(6);
    assert.throws(() => openZipArchive(zip.subarray(0, zip.length - 10), 'cut.zip'), {
      name: 'UsageError',
      message: /^cut\.zip: not a readable zip archive \(/,
    });
  });

  it('refuses an EPUB whose chapter understates its size, naming the book and the entry', () => {
    const body = `<h1>One</h1><p>${TEXT}</p>`;
    const epub = buildEpub({ files: [{ href: 'one.xhtml', body }], nav: [['one.xhtml', 'One']] });
    assert.match(readEpubBook(epub, 'book.epub', 'book').chapters[0]?.paragraphs[0] ?? '', /slow but steady/);
    const crafted = declaringSize(epub, 'OEBPS/one.xhtml', 300);
    assert.throws(() => readEpubBook(crafted, 'book.epub', 'book'), {
      name: 'UsageError',
      message:
        /book\.epub: refused: the archive's entry `OEBPS\/one\.xhtml` is damaged or crafted: it holds more than the 300 bytes/,
    });
  });

  it('reads ZIP64 sizes and offsets, and refuses an understated one there too', () => {
    const files = { 'a.txt': TEXT, 'é/b.txt': 'second entry' };
    const zip = openZipArchive(zip64Of(files), 'zip64.zip');
    assert.deepEqual(zip.names, ['a.txt', 'é/b.txt']);
    assert.equal(zip.readText('a.txt'), TEXT);
    assert.equal(zip.readText('é/b.txt'), 'second entry');
    assert.throws(() => openZipArchive(zip64Of(files, { 'a.txt': 10 }), 'zip64.zip').read('a.txt'), {
      message:
        /zip64\.zip: refused: .*`a\.txt`.*it holds more than the 10 bytes its directory entry declares/,
    });
  });

  it('checks CRC-32 the way zip writers compute it, with or without zlib.crc32 (Node 20.15+)', () => {
    assert.equal(crc32Table(Buffer.from('123456789')), 0xcbf43926, 'the standard check value');
    assert.equal(crc32Table(new Uint8Array(0)), 0);
    const bytes = Uint8Array.from({ length: 70_000 }, (_, at) => (at * 7919) % 256);
    assert.equal(crc32Table(bytes), crc32(bytes));
  });
});
