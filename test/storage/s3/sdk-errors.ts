import {S3ServiceException} from '@aws-sdk/client-s3';

/** An error as the SDK throws it for an S3 error answer (made here: no server answers these on demand). */
export function s3Answer(status: number, name: string, message = `${name} answered`): S3ServiceException {
	return new S3ServiceException({name, $fault: status >= 500 ? 'server' : 'client', $metadata: {httpStatusCode: status}, message});
}

/** An error as Node's sockets raise it. */
export function networkError(code: string, message = `connect ${code}`): Error {
	return Object.assign(new Error(message), {code});
}
