import { describe, expect, it } from 'vitest';
import { kstrtobool, kstrtoint, kstrtouint } from './kstrtox.js';
import { param_parse } from '../moduleparam.js';

describe('kstrtox: the kernel rules for boot-parameter values', () => {
  it('kstrtobool decides by the first character, on/off by the second', () => {
    for (const v of ['y', 'Y', '1', 'yes', 't', 'true', 'on', 'ON', 'oN']) expect(kstrtobool(v)).toBe(true);
    for (const v of ['n', 'N', '0', 'no', 'f', 'false', 'off', 'OFF']) expect(kstrtobool(v)).toBe(false);
    for (const v of ['', 'o', 'ox', '2', 'maybe', ' y']) expect(kstrtobool(v)).toBeUndefined();
  });

  it('kstrtoint takes base 0 (0x hex, leading-0 octal), one sign, a trailing newline, and 32 bits', () => {
    expect(kstrtoint('42')).toBe(42);
    expect(kstrtoint('-7')).toBe(-7);
    expect(kstrtoint('+7')).toBe(7);
    expect(kstrtoint('0x1f')).toBe(31);
    expect(kstrtoint('010')).toBe(8);
    expect(kstrtoint('0')).toBe(0);
    expect(kstrtoint('5\n')).toBe(5);
    expect(kstrtoint('2147483647')).toBe(2147483647);
    expect(kstrtoint('-2147483648')).toBe(-2147483648);
    for (const v of ['', '-', '0x', '08', '1e3', '1.5', 'y', '-+1', '2147483648', ' 1']) expect(kstrtoint(v)).toBeUndefined();
    expect(kstrtouint('4294967295')).toBe(4294967295);
    expect(kstrtouint('-1')).toBeUndefined();
  });

  it('param_set_bool: a bare parameter name means true', () => {
    expect(param_parse('bool', '')).toBe(true);
    expect(param_parse('bool', 'off')).toBe(false);
    expect(param_parse('int', 'y')).toBeUndefined();
    expect(param_parse('charp', 'spin_lock')).toBe('spin_lock');
  });
});
