// The small JSON reader the safetensors header needs: objects keep their members in document
// order, nesting is bounded, and errors carry the byte offset. Internal to BrittleIO; not a
// general JSON library (everything else uses Foundation's JSONSerialization / Codable).

/// A parsed JSON value; objects keep their members in document order (the safetensors header's
/// order is the tensors' order), which Foundation's JSONSerialization does not.
indirect enum JSON {
    case object([(String, JSON)])
    case array([JSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    /// The value as an Int when it is a plain non-negative integer literal that fits.
    var nonNegativeInt: Int? {
        guard case .number(let text) = self, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            return nil
        }
        return Int(text)
    }
}

/// RFC 8259 parser over bytes, with a nesting limit so hostile input cannot exhaust the stack.
struct JSONParser {
    struct Failure: Error {
        var message: String
        var offset: Int
    }

    let bytes: ArraySlice<UInt8>
    var i: Int
    var depth = 0
    static let maxDepth = 64

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.i = bytes.startIndex
    }

    mutating func parseDocument() throws -> JSON {
        let value = try parseValue()
        skipWhitespace()
        guard i == bytes.endIndex else { throw fail("unexpected text after the top-level value") }
        return value
    }

    private func fail(_ message: String) -> Failure {
        Failure(message: message, offset: i - bytes.startIndex)
    }

    private mutating func skipWhitespace() {
        while i < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    private mutating func expect(_ c: UInt8) throws {
        skipWhitespace()
        guard i < bytes.endIndex, bytes[i] == c else {
            throw fail("expected '\(Character(Unicode.Scalar(c)))'")
        }
        i += 1
    }

    private mutating func parseValue() throws -> JSON {
        skipWhitespace()
        guard i < bytes.endIndex else { throw fail("unexpected end of header") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            return try nested {
                var members: [(String, JSON)] = []
                $0.i += 1
                $0.skipWhitespace()
                if $0.i < $0.bytes.endIndex, $0.bytes[$0.i] == UInt8(ascii: "}") {
                    $0.i += 1
                    return .object(members)
                }
                repeat {
                    $0.skipWhitespace()
                    let key = try $0.parseString()
                    try $0.expect(UInt8(ascii: ":"))
                    members.append((key, try $0.parseValue()))
                } while try $0.separator(closing: UInt8(ascii: "}"))
                return .object(members)
            }
        case UInt8(ascii: "["):
            return try nested {
                var items: [JSON] = []
                $0.i += 1
                $0.skipWhitespace()
                if $0.i < $0.bytes.endIndex, $0.bytes[$0.i] == UInt8(ascii: "]") {
                    $0.i += 1
                    return .array(items)
                }
                repeat {
                    items.append(try $0.parseValue())
                } while try $0.separator(closing: UInt8(ascii: "]"))
                return .array(items)
            }
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default: return try parseNumber()
        }
    }

    private mutating func nested(_ body: (inout JSONParser) throws -> JSON) throws -> JSON {
        guard depth < Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
        depth += 1
        defer { depth -= 1 }
        return try body(&self)
    }

    /// Consumes ',' (true: more follow) or `closing` (false).
    private mutating func separator(closing: UInt8) throws -> Bool {
        skipWhitespace()
        guard i < bytes.endIndex else { throw fail("unexpected end of header") }
        if bytes[i] == UInt8(ascii: ",") {
            i += 1
            return true
        }
        if bytes[i] == closing {
            i += 1
            return false
        }
        throw fail("expected ',' or '\(Character(Unicode.Scalar(closing)))'")
    }

    private mutating func literal(_ word: String) throws {
        for c in word.utf8 {
            guard i < bytes.endIndex, bytes[i] == c else { throw fail("invalid literal (expected \(word))") }
            i += 1
        }
    }

    private mutating func parseNumber() throws -> JSON {
        let start = i
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "-") { i += 1 }
        let numberBytes = Set("0123456789+-.eE".utf8)
        while i < bytes.endIndex, numberBytes.contains(bytes[i]) { i += 1 }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        guard i > start, Double(text) != nil else {
            i = start
            throw fail("unexpected character")
        }
        return .number(text)
    }

    private mutating func parseString() throws -> String {
        guard i < bytes.endIndex, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string") }
        i += 1
        var utf8: [UInt8] = []
        while true {
            guard i < bytes.endIndex else { throw fail("unterminated string") }
            let c = bytes[i]
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let s = String(validating: utf8, as: UTF8.self) else {
                    throw fail("string is not UTF-8")
                }
                return s
            case UInt8(ascii: "\\"):
                guard i < bytes.endIndex else { throw fail("unterminated string") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        try literal("\\u")
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("unpaired surrogate") }
                    utf8.append(contentsOf: String(Character(scalar)).utf8)
                default: throw fail("invalid escape")
                }
            case 0..<0x20: throw fail("control character in string")
            default: utf8.append(c)
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        let digits = Set("0123456789abcdefABCDEF".utf8)
        guard i + 4 <= bytes.endIndex, bytes[i..<(i + 4)].allSatisfy(digits.contains),
            let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16)
        else { throw fail("invalid \\u escape") }
        i += 4
        return v
    }
}
