import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONSOLE_ADDR, consoleListenAddress, loadConfig, localAddressOf } from '../src/index';

describe('AOS_CONSOLE_ADDR', () => {
  it('defaults to 127.0.0.1:8080', () => {
    expect(DEFAULT_CONSOLE_ADDR).toBe('127.0.0.1:8080');
    expect(consoleListenAddress(loadConfig({}))).toBe('127.0.0.1:8080');
  });

  it('takes host:port, port 0 and bracketed IPv6', () => {
    expect(consoleListenAddress(loadConfig({ AOS_CONSOLE_ADDR: '0.0.0.0:80' }))).toBe('0.0.0.0:80');
    expect(consoleListenAddress(loadConfig({ AOS_CONSOLE_ADDR: '127.0.0.1:0' }))).toBe('127.0.0.1:0');
    expect(consoleListenAddress(loadConfig({ AOS_CONSOLE_ADDR: '[::1]:8080' }))).toBe('[::1]:8080');
  });

  it('is turned off by "off" or an empty value, independently of the MCP endpoint', () => {
    expect(consoleListenAddress(loadConfig({ AOS_CONSOLE_ADDR: 'off' }))).toBeUndefined();
    expect(consoleListenAddress(loadConfig({ AOS_CONSOLE_ADDR: '' }))).toBeUndefined();
    expect(loadConfig({ AOS_CONSOLE_ADDR: '' }).AOS_MCP_ADDR).toBe('127.0.0.1:50053');
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => loadConfig({ AOS_CONSOLE_ADDR: 'http://localhost:8080' })).toThrow(ConfigError);
    expect(() => loadConfig({ AOS_CONSOLE_ADDR: '8080' })).toThrow(/AOS_CONSOLE_ADDR/);
  });
});

describe('localAddressOf', () => {
  it('reaches a wildcard listen address on loopback and leaves any other as it is', () => {
    expect(localAddressOf('0.0.0.0:8080')).toBe('127.0.0.1:8080');
    expect(localAddressOf('[::]:50051')).toBe('[::1]:50051');
    expect(localAddressOf('10.0.0.5:8080')).toBe('10.0.0.5:8080');
    expect(localAddressOf('[::1]:8080')).toBe('[::1]:8080');
  });
});
