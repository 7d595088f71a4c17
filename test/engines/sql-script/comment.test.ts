import assert from 'node:assert/strict';
import {test} from 'node:test';
import {commentText, lineComment} from '../../../source/engines/sql-script/comment.ts';

test('attack: no character of a name can end a -- comment or name a client command', () => {
	const hostile = 'a\nb\rc\u2028d\u2029e\u0085f\u000bg\u000ch\u0000i\\! id%j';
	const comment = lineComment(`table db.${hostile}`);
	assert.equal(comment, '-- table db.a%0Ab%0Dc%E2%80%A8d%E2%80%A9e%C2%85f%0Bg%0Ch%00i%5C! id%25j');
	assert.doesNotMatch(comment, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/u);
});

test('names without such characters read as they are', () => {
	assert.equal(commentText('shop.order_items 日本語 `q` "x" */ /* ;'), 'shop.order_items 日本語 `q` "x" */ /* ;');
});
