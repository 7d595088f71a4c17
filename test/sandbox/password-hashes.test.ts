import {test} from 'node:test';
import assert from 'node:assert/strict';
import {createHash, createHmac} from 'node:crypto';
import {nativePasswordHash} from '../../source/sandbox/mariadb.ts';
import {scramSha256Verifier} from '../../source/sandbox/scram-verifier.ts';

test('nativePasswordHash equals what MariaDB PASSWORD() returns', () => {
	// SELECT PASSWORD('abc') on MariaDB 10.11
	assert.equal(nativePasswordHash('abc'), '*0D3CED9BEC10A777AEC23CCC353A8C08A633045E');
});

test('scramSha256Verifier accepts the RFC 7677 example exchange', () => {
	const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
	const verifier = scramSha256Verifier('pencil', 4096, salt);
	const match = /^SCRAM-SHA-256\$4096:([^$]+)\$([^:]+):(.+)$/.exec(verifier);
	assert.ok(match, verifier);
	assert.equal(match[1], 'W22ZaJ0SNY7soEsUEjb6gQ==');
	const storedKey = Buffer.from(match[2], 'base64');
	const serverKey = Buffer.from(match[3], 'base64');
	const nonce = 'rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
	const authMessage = `n=user,r=rOprNGfwEbeRWgbNEkqO,r=${nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=${nonce}`;
	// the server proves itself with ServerKey
	assert.equal(
		createHmac('sha256', serverKey).update(authMessage).digest('base64'),
		'6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
	);
	// the client's proof, checked the way the server checks it with StoredKey
	const proof = Buffer.from('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'base64');
	const signature = createHmac('sha256', storedKey).update(authMessage).digest();
	const clientKey = Buffer.from(proof.map((byte, index) => byte ^ signature[index]));
	assert.deepEqual(createHash('sha256').update(clientKey).digest(), storedKey);
});
