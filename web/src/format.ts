// Formatting of the API's decimal strings. Money never passes through a float: a figure is
// rounded and grouped as text, so what is shown is exactly the API's value at that precision.

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/

interface Parts {
  negative: boolean
  digits: bigint // the value × 10^scale, without sign
  scale: number
}

function parse(value: string): Parts | null {
  const match = DECIMAL.exec(value.trim())
  if (!match) return null
  const fraction = match[3] ?? ''
  return {
    negative: match[1] === '-',
    digits: BigInt(match[2] + fraction),
    scale: fraction.length,
  }
}

function render(parts: Parts): string {
  const text = parts.digits.toString().padStart(parts.scale + 1, '0')
  const whole = text.slice(0, text.length - parts.scale)
  const fraction = parts.scale ? '.' + text.slice(text.length - parts.scale) : ''
  const zero = parts.digits === 0n
  return (parts.negative && !zero ? '-' : '') + whole + fraction
}

/** Whether `value` is a decimal string the API would send ("12", "-0.5"). */
export function isDecimal(value: string): boolean {
  return DECIMAL.test(value.trim())
}

/** `value` rounded to `places` decimals, half away from zero, as a plain decimal string. */
export function roundDecimal(value: string, places: number): string {
  const parts = parse(value)
  if (!parts) return value
  if (parts.scale <= places) {
    const widened = parts.digits * 10n ** BigInt(places - parts.scale)
    return render({ ...parts, digits: widened, scale: places })
  }
  const divisor = 10n ** BigInt(parts.scale - places)
  let digits = parts.digits / divisor
  if ((parts.digits % divisor) * 2n >= divisor) digits += 1n
  return render({ ...parts, digits, scale: places })
}

/** `value` × 10^`places`, by moving the decimal point ("0.0125", 2 → "1.25"). */
export function shiftDecimal(value: string, places: number): string {
  const parts = parse(value)
  if (!parts) return value
  if (places <= parts.scale) return render({ ...parts, scale: parts.scale - places })
  return render({ ...parts, digits: parts.digits * 10n ** BigInt(places - parts.scale), scale: 0 })
}

/** The sign of a decimal string: -1, 0 or 1 (0 for anything unparseable). */
export function signOf(value: string | null | undefined): number {
  const parts = value == null ? null : parse(value)
  if (!parts || parts.digits === 0n) return 0
  return parts.negative ? -1 : 1
}

function group(plain: string): string {
  const negative = plain.startsWith('-')
  const [whole, fraction] = (negative ? plain.slice(1) : plain).split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return (negative ? '−' : '') + grouped + (fraction !== undefined ? '.' + fraction : '')
}

const DASH = '—'

/** A money amount: grouped, to `places` decimals ("1942823.6" → "1,942,823.60"). */
export function formatMoney(value: string | null | undefined, places = 2): string {
  if (value == null || !isDecimal(value)) return DASH
  return group(roundDecimal(value, places))
}

/** A money amount with an explicit sign for P&L ("+1,200.00", "−4,240.90"). */
export function formatSignedMoney(value: string | null | undefined, places = 2): string {
  const text = formatMoney(value, places)
  return signOf(value) > 0 ? '+' + text : text
}

/** A quantity or unit count: grouped, every decimal the API gave kept. */
export function formatQuantity(value: string | null | undefined): string {
  if (value == null || !isDecimal(value)) return DASH
  return group(roundDecimal(value, parse(value)?.scale ?? 0))
}

/** A fraction as a percent ("0.0250343" → "2.50%"), signed when `signed`. */
export function formatFractionAsPercent(
  value: string | null | undefined,
  places = 2,
  signed = false,
): string {
  if (value == null || !isDecimal(value)) return DASH
  return formatPercent(shiftDecimal(value, 2), places, signed)
}

/** A value already in percent ("27.37" → "27.37%"). */
export function formatPercent(value: string | null | undefined, places = 2, signed = false): string {
  if (value == null || !isDecimal(value)) return DASH
  const text = group(roundDecimal(value, places)) + '%'
  return signed && signOf(roundDecimal(value, places)) > 0 ? '+' + text : text
}

/** An ISO-8601 UTC time as "2026-10-19 10:00 UTC", or "2026-10-19 10:00:05 UTC" with `seconds`
 * (a log's entries can be seconds apart); a date alone stays a date. */
export function formatTime(value: string | null | undefined, seconds = false): string {
  if (!value) return DASH
  const match = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(:\d{2})?)?/.exec(value)
  if (!match) return value
  return match[2] ? `${match[1]} ${match[2]}${seconds ? (match[3] ?? ':00') : ''} UTC` : match[1]
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** "2026-02" → "Feb 2026". */
export function formatMonth(value: string): string {
  const match = /^(\d{4})-(\d{2})$/.exec(value)
  if (!match) return value
  return `${MONTHS[Number(match[2]) - 1]} ${match[1]}`
}
