/** Where the access-log cases write: /dev/null, opened the same way for portcullis and pino. */

import pino from 'pino';

/** A /dev/null destination for pino, buffered and asynchronous (sonic-boom's fastest mode). */
export function pinoToDevNull() {
  return pino.destination({ dest: '/dev/null', sync: false });
}

/** The same file for gateway.accessLog(): a descriptor, written once per event-loop turn. */
export const DEV_NULL = '/dev/null';
