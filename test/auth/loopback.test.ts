import { isLoopbackHost } from '../../src/auth/loopback';

describe('isLoopbackHost', () => {
  test.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::ffff:7f00:1'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  test.each(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '::2', '::11', '::ffff:10.0.0.1', 'example.com', 'localhost.example.com', '1::1'])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});
