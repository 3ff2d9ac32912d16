import { describe, expect, test } from 'vitest'
import {
  formatFractionAsPercent,
  formatMoney,
  formatPercent,
  formatQuantity,
  formatSignedMoney,
  formatTime,
  roundDecimal,
  shiftDecimal,
} from './format'

describe('decimal formatting never goes through a float', () => {
  test.each([
    ['344308.86', '344,308.86'],
    ['1942823.6', '1,942,823.60'],
    ['-338.06128386666699962', '−338.06'],
    ['0.005', '0.01'],
    ['-0.004', '0.00'],
    ['90071992547409931.99', '90,071,992,547,409,931.99'],
  ])('formatMoney(%s) is %s', (value, shown) => {
    expect(formatMoney(value)).toBe(shown)
  })

  test('a P&L carries its sign', () => {
    expect(formatSignedMoney('152792.85')).toBe('+152,792.85')
    expect(formatSignedMoney('-4240.90')).toBe('−4,240.90')
    expect(formatSignedMoney('0.00')).toBe('0.00')
  })

  test('fractions become percents by moving the point', () => {
    expect(shiftDecimal('0.025034364894334305914589921', 2)).toBe('2.5034364894334305914589921')
    expect(formatFractionAsPercent('0.025034364894334305914589921')).toBe('2.50%')
    expect(formatFractionAsPercent('-0.0234861222462599244458224638')).toBe('−2.35%')
    expect(formatFractionAsPercent('0.09765414', 2, true)).toBe('+9.77%')
    expect(formatPercent('27.37')).toBe('27.37%')
    expect(formatPercent('50')).toBe('50.00%')
  })

  test('rounding is half away from zero', () => {
    expect(roundDecimal('2.345', 2)).toBe('2.35')
    expect(roundDecimal('-2.345', 2)).toBe('-2.35')
    expect(roundDecimal('7', 2)).toBe('7.00')
  })

  test('quantities keep every decimal the API gave', () => {
    expect(formatQuantity('3136.770014')).toBe('3,136.770014')
  })

  test('missing values show a dash, times show UTC', () => {
    expect(formatMoney(null)).toBe('—')
    expect(formatMoney('abc')).toBe('—')
    expect(formatTime('2026-10-19T10:00:00.000000Z')).toBe('2026-10-19 10:00 UTC')
    expect(formatTime('2027-01-01')).toBe('2027-01-01')
    expect(formatTime('2026-10-19T10:00:05.250000Z', true)).toBe('2026-10-19 10:00:05 UTC')
    expect(formatTime('2027-01-01', true)).toBe('2027-01-01')
  })
})
