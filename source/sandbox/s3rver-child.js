// Runs s3rver in its own node process (started by s3.ts with --openssl-legacy-provider, without which
// s3rver answers 500 to a truncated ListObjectsV2). Plain JavaScript because s3rver ships no types.
// Config comes as JSON in DBBACKUP_S3RVER_CONFIG: {directory, port, bucket}. Once listening it prints
// one line `S3RVER_READY <port>`; it exits when its stdin closes (the parent is gone) or on SIGTERM/SIGINT.
import S3rver from 's3rver';

const config = JSON.parse(process.env.DBBACKUP_S3RVER_CONFIG ?? '{}');
const server = new S3rver({
	address: '127.0.0.1',
	port: config.port ?? 0,
	directory: config.directory,
	silent: true,
	configureBuckets: [{name: config.bucket}],
});

let closing = false;
async function shutDown() {
	if (closing) return;
	closing = true;
	// close() waits for open keep-alive connections; do not let a client hold the exit up
	setTimeout(() => process.exit(0), 2000).unref();
	try {
		await server.close();
	} finally {
		process.exit(0);
	}
}

try {
	const address = await server.run();
	process.stdout.write(`S3RVER_READY ${address.port}\n`);
} catch (error) {
	process.stderr.write(`s3rver failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
	process.exit(1);
}
process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);
process.stdin.on('end', shutDown);
process.stdin.on('error', shutDown);
process.stdin.resume();
