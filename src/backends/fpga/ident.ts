// Model-given names become C++ identifiers only through `sanitizeIdent`, so nothing a model
// file says can break out of an identifier, a comment or a string in the emitted code.

const CXX_KEYWORDS = new Set(
  (
    'alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t char32_t class compl ' +
    'concept const consteval constexpr constinit const_cast continue co_await co_return co_yield decltype default delete do ' +
    'double dynamic_cast else enum explicit export extern false float for friend goto if inline int long mutable namespace ' +
    'new noexcept not not_eq nullptr operator or or_eq private protected public register reinterpret_cast requires return ' +
    'short signed sizeof static static_assert static_cast struct switch template this thread_local throw true try typedef ' +
    'typeid typename union unsigned using virtual void volatile wchar_t while xor xor_eq final override import module ' +
    // names the emitted code or its headers use at file scope
    'main std snnc_types NULL EOF assert'
  ).split(' '),
);

/**
 * A C++ identifier for `name`: ASCII letters, digits and single underscores only (every other
 * character, including non-ASCII, becomes '_'; runs of '_' collapse, leading/trailing '_' go,
 * so no `_Upper` or `__` reserved form can appear); a leading digit or an empty result gets an
 * `n` prefix; keywords get a `_k` suffix.
 */
export function sanitizeIdent(name: string): string {
  let s = '';
  for (const ch of name) s += /^[A-Za-z0-9]$/.test(ch) ? ch : '_';
  s = s.replace(/_+/g, '_').replace(/^_/, '').replace(/_$/, '');
  if (s === '' || /^[0-9]/.test(s)) s = `n${s === '' ? '' : '_'}${s}`;
  if (CXX_KEYWORDS.has(s)) s = `${s}_k`;
  return s;
}

/**
 * Sanitizes names one after another and keeps them unique: a second name that sanitizes to
 * an identifier already handed out gets `_2`, `_3`, … (first come, first served, so the
 * result depends only on the order of the names).
 */
export function makeNamer(reserved: readonly string[] = []): (name: string) => string {
  const used = new Set(reserved);
  return (name) => {
    const base = sanitizeIdent(name);
    let id = base;
    for (let k = 2; used.has(id); k++) id = `${base}_${k}`;
    used.add(id);
    return id;
  };
}
