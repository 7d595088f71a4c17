/**
 * Secrets (passwords, keys) register here when they are read, and every message, hint and log line
 * passes through `redact` before it is shown or written, so a secret never reaches output.
 */
const secrets = new Set<string>();

export const REDACTED = '[redacted]';

export function registerSecret(secret: string | undefined | null): void {
	// Very short strings would redact ordinary words; such passwords still never reach output because
	// nothing in the product prints a password, this is only the last line of defence.
	if (secret && secret.length >= 3) secrets.add(secret);
}

export function redact(text: string): string {
	if (secrets.size === 0) return text;
	let out = text;
	for (const secret of secrets) {
		if (out.includes(secret)) out = out.split(secret).join(REDACTED);
	}
	return out;
}

/**
 * Redacts secrets inside any JSON-able value (strings at any depth). A value with nothing to redact
 * comes back as it is, not copied: the bus passes every binlog feed event through here.
 */
export function redactValue<T>(value: T): T {
	if (typeof value === 'string') return redact(value) as T;
	if (secrets.size === 0 || value === null || typeof value !== 'object') return value;
	if (Array.isArray(value)) {
		let out: unknown[] | undefined;
		for (let index = 0; index < value.length; index++) {
			const item = redactValue(value[index]);
			if (item !== value[index]) (out ??= value.slice())[index] = item;
		}
		return (out ?? value) as T;
	}
	if (Object.getPrototypeOf(value) !== Object.prototype) return value;
	let out: Record<string, unknown> | undefined;
	for (const key in value) {
		const original = (value as Record<string, unknown>)[key];
		const item = redactValue(original);
		if (item !== original) (out ??= {...(value as Record<string, unknown>)})[key] = item;
	}
	return (out ?? value) as T;
}

export function clearSecretsForTests(): void {
	secrets.clear();
}
