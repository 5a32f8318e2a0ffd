import { STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';
import { apiError, ApiError, errorBody } from './apiError';

/**
 * What a socket gets when Node's HTTP parser gives up before there is a request to route: the API's
 * error shape, `{"error": {"code", "message"}}`, instead of Fastify's own.
 */
const answerTo = (err: NodeJS.ErrnoException): { readonly status: number; readonly error: ApiError } => {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, error: apiError('REQUEST_TIMEOUT', 'the request (headers and body) did not arrive in time') };
  if (err.code === 'HPE_HEADER_OVERFLOW') return { status: 431, error: apiError('HEADERS_TOO_LARGE', 'the request headers are larger than the server accepts') };
  return { status: 400, error: apiError('VALIDATION', `malformed HTTP request${err.code === undefined ? '' : ` (${err.code})`}`) };
};

export const clientErrorHandler = (err: NodeJS.ErrnoException, socket: Socket): void => {
  // A reset connection has no one left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const { status, error } = answerTo(err);
    const body = JSON.stringify(errorBody(error));
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
};
