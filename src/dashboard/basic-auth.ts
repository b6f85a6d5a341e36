import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Basic auth against one user and password; compared in constant time. */
export function basicAuth(user: string, password: string): RequestHandler {
  const expected = digest(`${user}:${password}`);
  return (request, response, next) => {
    const header = request.headers.authorization ?? '';
    const [scheme, encoded = ''] = header.split(' ');
    const given = scheme?.toLowerCase() === 'basic' ? Buffer.from(encoded, 'base64').toString('utf8') : '';
    if (given !== '' && timingSafeEqual(digest(given), expected)) {
      next();
      return;
    }
    response
      .set('WWW-Authenticate', 'Basic realm="tts-batch", charset="UTF-8"')
      .status(401)
      .send('authentication required\n');
  };
}
