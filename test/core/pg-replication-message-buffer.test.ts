/** MessageBuffer: messages cut anywhere across socket reads come out whole, as views when they can. */
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {test} from 'node:test';
import {MessageBuffer} from '../../source/core/pg-replication/message-buffer.ts';

function message(code: string, body: Buffer): Buffer {
	const head = Buffer.alloc(5);
	head.write(code, 0, 'latin1');
	head.writeUInt32BE(body.length + 4, 1);
	return Buffer.concat([head, body]);
}

test('messages split at every cut point across reads come out byte for byte, in order', () => {
	const bodies = [randomBytes(0), randomBytes(3), randomBytes(70_000), randomBytes(262_144), randomBytes(17)];
	const stream = Buffer.concat(bodies.map((body, index) => message(index % 2 === 0 ? 'd' : 'c', body)));
	for (const readSize of [1, 2, 5, 64, 4096, 65_536, stream.length]) {
		const buffer = new MessageBuffer();
		const out: Buffer[] = [];
		for (let at = 0; at < stream.length; at += readSize) {
			buffer.push(stream.subarray(at, at + readSize));
			while (buffer.length >= 5) {
				const end = 1 + buffer.uint32At(1);
				if (buffer.length < end) break;
				assert.equal(buffer.byteAt(0), (out.length % 2 === 0 ? 'd' : 'c').charCodeAt(0));
				buffer.skip(5);
				out.push(Buffer.from(buffer.take(end - 5)));
			}
		}
		assert.equal(buffer.length, 0, `read size ${readSize}`);
		assert.deepEqual(out, bodies, `read size ${readSize}`);
	}
});

test('a message inside one read is a view of it; drain hands back the rest whole', () => {
	const buffer = new MessageBuffer();
	const read = Buffer.concat([message('d', Buffer.from('hello')), Buffer.from('Zrest')]);
	buffer.push(read);
	buffer.skip(5);
	const body = buffer.take(5);
	assert.equal(body.buffer, read.buffer, 'no copy');
	assert.equal(body.toString(), 'hello');
	buffer.push(Buffer.from('-more'));
	assert.equal(buffer.drain().toString(), 'Zrest-more');
	assert.equal(buffer.length, 0);
});
