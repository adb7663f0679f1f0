/** CSV export neutralises every cell a spreadsheet would run as a formula (CSV injection). */
import { describe, expect, it } from 'vitest';
import { toCsv } from './csv';

describe('CSV export', () => {
  it("prefixes text cells starting with = + - @ TAB or CR with ', in the header too", () => {
    const payloads = ['=1+1', '+cmd|" /C calc"!A0', '-2+3', '@SUM(A1)', '\t=1+1', '\r=1+1'];
    const csv = toCsv(payloads, [payloads]);
    const lines = csv.split('\r\n');
    for (const p of payloads) {
      const field = p.includes('\r') || p.includes('"') ? `"'${p.replace(/"/g, '""')}"` : `'${p}`;
      expect(csv.split(field).length - 1, JSON.stringify(p)).toBe(2);
    }
    expect(lines.length).toBeGreaterThan(2);
  });

  it('leaves numbers (negative ones included) and ordinary text alone', () => {
    expect(toCsv(['a', 'b', 'c'], [[-1.5, 'AAVE', 'a=b']])).toBe('a,b,c\r\n-1.5,AAVE,a=b\r\n');
  });
});
