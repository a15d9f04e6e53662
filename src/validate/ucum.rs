//! UCUM unit syntax for OTLP metric units.
//!
//! OTLP's `Metric.unit` field "follows the format described by
//! <https://unitsofmeasure.org/ucum.html>" (see `opentelemetry/proto/metrics/v1/metrics.proto`
//! in <https://github.com/open-telemetry/opentelemetry-proto>), and the OpenTelemetry
//! semantic conventions write units in the case-sensitive ("c/s") form of the
//! Unified Code for Units of Measure, <https://ucum.org/ucum>. This module owns the
//! one question the validator asks about units: is this string a well-formed UCUM
//! expression? It deliberately does not convert or compare units.
//!
//! The accepted grammar follows UCUM's syntax rules:
//!
//! ```text
//! main        = "/" term | term
//! term        = component *( ("." | "/") component )
//! component   = annotatable [annotation] | factor [annotation] | annotation
//!             | "(" term ")" [annotation]
//! annotatable = simple-unit [exponent]
//! simple-unit = atom | prefix metric-atom | binary-prefix ("By" | "bit")
//!             | [prefix] "[" 1*ascii "]"
//! exponent    = ["+" | "-"] 1*DIGIT
//! factor      = 1*DIGIT
//! annotation  = "{" 1*(printable ASCII except "{" and "}") "}"
//! ```
//!
//! `10*` and `10^` are atoms, so `10*3` is the atom `10*` with exponent 3. Atoms are a
//! practical subset of UCUM's table (SI base and derived units, time, information,
//! and the common non-SI units), each marked metric (takes a prefix) or not; any
//! bracketed ASCII atom such as `[degF]` is accepted without a table lookup. More
//! lenient than UCUM: an annotation may follow any component (UCUM annotates only
//! units, or stands alone). Stricter: binary prefixes (`Ki`, `Mi`, `Gi`, `Ti`) go on
//! `By` and `bit` only, annotations hold printable ASCII without spaces, an empty
//! annotation `{}` is rejected because it carries no meaning, and parentheses nest
//! at most 8 deep.
//!
//! Everything here works on bytes and never allocates.

/// Deepest parenthesis nesting accepted; real units hardly ever nest, and the bound
/// keeps recursion shallow on hostile input.
const MAX_DEPTH: u8 = 8;

/// Whether `unit` is a valid UCUM (case-sensitive, c/s) unit expression as OTLP metric units use them.
pub fn is_ucum(unit: &str) -> bool {
    let bytes = unit.as_bytes();
    if bytes.is_empty() {
        return true;
    }
    // Cheap prefilter: UCUM c/s is printable ASCII without spaces.
    if !bytes.iter().all(|b| (b'!'..=b'~').contains(b)) {
        return false;
    }
    let mut parser = Parser { bytes, pos: 0 };
    parser.eat(b'/');
    parser.term(0) && parser.pos == bytes.len()
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn term(&mut self, depth: u8) -> bool {
        if !self.component(depth) {
            return false;
        }
        while matches!(self.peek(), Some(b'.' | b'/')) {
            self.pos += 1;
            if !self.component(depth) {
                return false;
            }
        }
        true
    }

    fn component(&mut self, depth: u8) -> bool {
        match self.peek() {
            Some(b'{') => self.annotation(),
            Some(b'(') => {
                if depth >= MAX_DEPTH {
                    return false;
                }
                self.pos += 1;
                self.term(depth + 1) && self.eat(b')') && self.optional_annotation()
            }
            Some(b'0'..=b'9') => {
                let rest = &self.bytes[self.pos..];
                if rest.starts_with(b"10*") || rest.starts_with(b"10^") {
                    self.pos += 3;
                    self.optional_exponent() && self.optional_annotation()
                } else {
                    self.digits();
                    self.optional_annotation()
                }
            }
            Some(_) => {
                let start = self.pos;
                if !self.symbol() {
                    return false;
                }
                let symbol = &self.bytes[start..self.pos];
                is_simple_unit(symbol) && self.optional_exponent() && self.optional_annotation()
            }
            None => false,
        }
    }

    /// Consumes a run of digits; returns how many.
    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn optional_exponent(&mut self) -> bool {
        match self.peek() {
            Some(b'+' | b'-') => {
                self.pos += 1;
                self.digits() > 0
            }
            _ => {
                self.digits();
                true
            }
        }
    }

    fn optional_annotation(&mut self) -> bool {
        self.peek() != Some(b'{') || self.annotation()
    }

    fn annotation(&mut self) -> bool {
        if !self.eat(b'{') {
            return false;
        }
        let start = self.pos;
        while let Some(byte) = self.peek() {
            match byte {
                b'}' => {
                    let non_empty = self.pos > start;
                    self.pos += 1;
                    return non_empty;
                }
                b'{' => return false,
                _ => self.pos += 1,
            }
        }
        false
    }

    /// Consumes a unit symbol: everything up to a digit, operator, sign, brace or
    /// parenthesis, with `[...]` groups taken whole (they may contain digits and dots).
    fn symbol(&mut self) -> bool {
        let start = self.pos;
        while let Some(byte) = self.peek() {
            match byte {
                b'0'..=b'9' | b'.' | b'/' | b'+' | b'-' | b'{' | b'}' | b'(' | b')' | b']' => {
                    break;
                }
                b'[' => {
                    self.pos += 1;
                    let inner = self.pos;
                    loop {
                        match self.peek() {
                            Some(b']') if self.pos > inner => break,
                            Some(b'[' | b']' | b'{' | b'}') | None => return false,
                            Some(_) => self.pos += 1,
                        }
                    }
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
        self.pos > start
    }
}

/// An atom with optional prefix, or a bracketed atom.
fn is_simple_unit(symbol: &[u8]) -> bool {
    if atom(symbol).is_some() || is_bracketed(symbol) {
        return true;
    }
    if matches!(strip_binary_prefix(symbol), Some(b"By" | b"bit")) {
        return true;
    }
    // Two-letter "da" first, then the one-letter prefixes.
    let candidates = [symbol.strip_prefix(b"da"), symbol.get(1..)];
    candidates.into_iter().flatten().any(|rest| {
        let prefix = &symbol[..symbol.len() - rest.len()];
        is_prefix(prefix) && (atom(rest) == Some(true) || is_bracketed(rest))
    })
}

/// `[...]` with at least one character inside and no further brackets.
fn is_bracketed(symbol: &[u8]) -> bool {
    symbol.len() >= 3
        && symbol[0] == b'['
        && symbol[symbol.len() - 1] == b']'
        && !symbol[1..symbol.len() - 1]
            .iter()
            .any(|b| matches!(b, b'[' | b']'))
}

fn strip_binary_prefix(symbol: &[u8]) -> Option<&[u8]> {
    match symbol.get(..2)? {
        b"Ki" | b"Mi" | b"Gi" | b"Ti" => Some(&symbol[2..]),
        _ => None,
    }
}

/// UCUM decimal prefixes (c/s), `u` being micro.
fn is_prefix(prefix: &[u8]) -> bool {
    matches!(
        prefix,
        b"Y" | b"Z"
            | b"E"
            | b"P"
            | b"T"
            | b"G"
            | b"M"
            | b"k"
            | b"h"
            | b"da"
            | b"d"
            | b"c"
            | b"m"
            | b"u"
            | b"n"
            | b"p"
            | b"f"
            | b"a"
            | b"z"
            | b"y"
    )
}

/// `Some(true)` for a metric atom (may take a prefix), `Some(false)` for a
/// non-metric atom, `None` for an unknown symbol.
fn atom(symbol: &[u8]) -> Option<bool> {
    let metric = match symbol {
        // SI base units (UCUM uses g, not kg, as the base of mass).
        b"m" | b"s" | b"g" | b"rad" | b"K" | b"C" | b"cd" | b"mol" | b"A" => true,
        // SI derived and SI-accepted units.
        b"sr" | b"Hz" | b"N" | b"Pa" | b"J" | b"W" | b"V" | b"F" | b"Ohm" | b"S" | b"Wb"
        | b"Cel" | b"T" | b"H" | b"lm" | b"lx" | b"Bq" | b"Gy" | b"Sv" | b"kat" | b"L" | b"l"
        | b"ar" | b"t" | b"bar" | b"u" | b"eV" | b"pc" | b"st" | b"mho" => true,
        // Levels, chemistry and legacy CGS units that UCUM marks as metric.
        b"Np" | b"B" | b"B[SPL]" | b"B[V]" | b"B[mV]" | b"B[uV]" | b"B[W]" | b"B[kW]" | b"eq"
        | b"osm" | b"U" | b"g%" | b"Ci" | b"R" | b"RAD" | b"REM" | b"G" | b"Mx" | b"Oe" | b"Gb"
        | b"sb" | b"Lmb" | b"ph" | b"St" | b"P" | b"dyn" | b"erg" | b"cal" | b"cal_IT"
        | b"cal_th" | b"gf" | b"Gal" | b"Ky" | b"tex" | b"m[H2O]" | b"m[Hg]" => true,
        // Information technology.
        b"By" | b"bit" | b"Bd" => true,
        // Non-metric atoms: powers of ten, ratios, time, angles, astronomy.
        b"10*" | b"10^" | b"%" | b"min" | b"h" | b"d" | b"wk" | b"mo" | b"mo_j" | b"mo_g"
        | b"mo_s" | b"a" | b"a_j" | b"a_g" | b"a_t" | b"deg" | b"'" | b"''" | b"gon" | b"circ"
        | b"sph" | b"AU" | b"Ao" | b"atm" | b"cal_m" | b"b" => false,
        _ => return None,
    };
    Some(metric)
}

#[cfg(test)]
mod tests {
    use super::is_ucum;

    #[test]
    fn accepts_otlp_units() {
        for unit in [
            "", "1", "%", "s", "ms", "us", "ns", "min", "h", "d", "By", "KiBy", "MiBy", "GiBy",
            "kBy", "bit", "Hz", "Cel", "K", "m", "g", "kg", "W", "J", "V", "A", "By/s", "1/s",
        ] {
            assert!(is_ucum(unit), "{unit:?} should be UCUM");
        }
    }

    #[test]
    fn accepts_annotations() {
        for unit in [
            "{requests}",
            "{request}/s",
            "s{wait}",
            "{packet}",
            "By{compressed}",
            "1{request}",
            "{tokens}/min",
            "m2{floor}",
            "{a.b/c-d}",
        ] {
            assert!(is_ucum(unit), "{unit:?} should be UCUM");
        }
    }

    #[test]
    fn accepts_exponents_and_compounds() {
        for unit in [
            "m2",
            "m/s2",
            "kg.m/s2",
            "s-1",
            "m+2",
            "10*3",
            "10^3",
            "10*-6",
            "/s",
            "/min",
            "Ohm.m",
            "mol/L",
            "kW.h",
            "MiBy/s",
            "TiBy",
            "Kibit",
            "dam",
            "cd",
            "Pa",
            "(kg.m)/s2",
            "wk",
            "mo",
            "a",
            "kat",
            "mBd",
        ] {
            assert!(is_ucum(unit), "{unit:?} should be UCUM");
        }
    }

    #[test]
    fn accepts_bracketed_atoms() {
        for unit in [
            "[degF]", "[in_i]", "[pi].rad", "m[H2O]", "cm[Hg]", "[ppm]", "m[iU]",
        ] {
            assert!(is_ucum(unit), "{unit:?} should be UCUM");
        }
    }

    #[test]
    fn rejects_spelled_out_and_garbage_units() {
        for unit in [
            "seconds",
            "second",
            "sec",
            "bytes",
            "Bytes",
            "milliseconds",
            "requests",
            "count",
            "percent",
            "ms2x",
            "{unclosed",
            "s/",
            "//",
        ] {
            assert!(!is_ucum(unit), "{unit:?} should not be UCUM");
        }
    }

    #[test]
    fn rejects_malformed_syntax() {
        for unit in [
            " ", "s ", "m s", "KBy", "kiBy", "Kis", "k%", "{}", "{a{b}}", "}", "{a}}", "s.", ".s",
            "s-", "(s", "s)", "()", "[]", "[a", "a]", "m[]", "2m", "µs", "s{é}",
        ] {
            assert!(!is_ucum(unit), "{unit:?} should not be UCUM");
        }
    }

    #[test]
    fn bounds_parenthesis_nesting() {
        assert!(is_ucum("((s))"));
        assert!(is_ucum("((((((((s))))))))"));
        assert!(!is_ucum("(((((((((s)))))))))"));
    }
}
