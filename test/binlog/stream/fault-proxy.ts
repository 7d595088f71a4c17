import net from 'node:net';

/**
 * A TCP proxy in front of a real server for faults the server cannot produce itself: a byte damaged in
 * transit, or a link that goes silent without closing.
 */
export class FaultProxy {
	private server: net.Server | undefined;
	private sockets = new Set<net.Socket>();
	/** server→client bytes seen so far, over all connections */
	bytesDown = 0;
	/** flip one byte of the server→client stream once this many bytes have gone down */
	corruptAt: number | undefined;
	/** while true, server→client data of existing connections is dropped (the link is silent, not closed) */
	silent = false;
	/**
	 * once: a client→server packet carrying this command byte is held until `until` resolves (what the
	 * server does in between happens before it sees the command), and the connection's later bytes after it
	 */
	holdCommand: {command: number; until: () => Promise<void>} | undefined;
	port = 0;

	constructor(
		private readonly targetHost: string,
		private readonly targetPort: number,
	) {}

	async start(): Promise<void> {
		this.server = net.createServer((client) => {
			const upstream = net.connect(this.targetPort, this.targetHost);
			const silentAtStart = this.silent;
			this.sockets.add(client).add(upstream);
			let forwarding = Promise.resolve();
			client.on('data', (chunk: Buffer) => {
				const hold = this.holdCommand;
				// a command packet: 3 bytes of length, 1 of sequence, then the command byte
				if (hold && chunk.length > 4 && chunk[4] === hold.command) {
					this.holdCommand = undefined;
					forwarding = forwarding.then(hold.until);
				}
				forwarding = forwarding.then(() => {
					upstream.write(chunk);
				});
			});
			upstream.on('data', (chunk: Buffer) => {
				if (this.silent && !silentAtStart) return;
				const at = this.corruptAt;
				if (at !== undefined && this.bytesDown <= at && at < this.bytesDown + chunk.length) {
					chunk = Buffer.from(chunk);
					chunk[at - this.bytesDown] ^= 0x40;
					this.corruptAt = undefined;
				}
				this.bytesDown += chunk.length;
				client.write(chunk);
			});
			const close = () => {
				client.destroy();
				upstream.destroy();
			};
			client.on('close', close).on('error', close);
			upstream.on('close', close).on('error', close);
		});
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
		this.port = (this.server.address() as net.AddressInfo).port;
	}

	async stop(): Promise<void> {
		for (const socket of this.sockets) socket.destroy();
		await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
	}
}
