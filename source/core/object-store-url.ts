/** Whether a location is an object-store URL (`s3://…`, any case) rather than a local path. */
export function isObjectStoreUrl(location: string | undefined): boolean {
	return location !== undefined && /^s3:\/\//i.test(location);
}
