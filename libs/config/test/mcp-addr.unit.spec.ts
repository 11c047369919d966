import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_MCP_ADDR, loadConfig, mcpListenAddress } from '../src/index';

describe('AOS_MCP_ADDR', () => {
  it('defaults to 127.0.0.1:50053, beside the gateway', () => {
    expect(DEFAULT_MCP_ADDR).toBe('127.0.0.1:50053');
    expect(mcpListenAddress(loadConfig({}))).toBe('127.0.0.1:50053');
  });

  it('takes host:port, port 0 and bracketed IPv6', () => {
    expect(mcpListenAddress(loadConfig({ AOS_MCP_ADDR: '0.0.0.0:8053' }))).toBe('0.0.0.0:8053');
    expect(mcpListenAddress(loadConfig({ AOS_MCP_ADDR: '127.0.0.1:0' }))).toBe('127.0.0.1:0');
    expect(mcpListenAddress(loadConfig({ AOS_MCP_ADDR: '[::1]:50053' }))).toBe('[::1]:50053');
  });

  it('is turned off by "off" or an empty value', () => {
    expect(mcpListenAddress(loadConfig({ AOS_MCP_ADDR: 'off' }))).toBeUndefined();
    expect(mcpListenAddress(loadConfig({ AOS_MCP_ADDR: '' }))).toBeUndefined();
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => loadConfig({ AOS_MCP_ADDR: 'http://localhost:50053' })).toThrow(ConfigError);
    expect(() => loadConfig({ AOS_MCP_ADDR: 'no' })).toThrow(/AOS_MCP_ADDR/);
  });
});
