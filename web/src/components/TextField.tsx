/** A labelled text input with its error beside it (`aria-invalid`, described by the error). */
export function TextField({
  id,
  label,
  value,
  error,
  onChange,
  type = 'text',
  placeholder,
  decimal,
  readOnly,
  autoComplete,
}: {
  id: string
  label: string
  value: string
  error?: string
  onChange: (value: string) => void
  type?: string
  placeholder?: string
  decimal?: boolean
  readOnly?: boolean
  autoComplete?: string
}) {
  return (
    <div>
      <label className="block text-sm font-medium">
        {label}
        <input
          type={type}
          inputMode={decimal ? 'decimal' : undefined}
          autoComplete={autoComplete}
          className={`mt-1 block w-full rounded-md border px-3 py-2 text-sm ${error ? 'border-red-700' : 'border-slate-400'} ${readOnly ? 'bg-slate-100' : ''}`}
          value={value}
          readOnly={readOnly}
          placeholder={placeholder}
          aria-invalid={Boolean(error)}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(e) => onChange(e.target.value)}
        />
      </label>
      {error && <p id={`${id}-error`} className="mt-1 text-sm text-red-800">{error}</p>}
    </div>
  )
}
