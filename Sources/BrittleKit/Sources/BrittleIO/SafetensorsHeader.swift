// SafetensorsHeader: the one parser of a safetensors header (8-byte little-endian length N, then
// N bytes of JSON: tensor name -> {dtype, shape, data_offsets}, plus "__metadata__" of strings),
// with Foundation's JSONSerialization. Checks the header's own structure and limits; the dtype
// and the offsets against the data are checked by Safetensors.decode. Not the data itself.

import Foundation

/// The parsed header of a `.safetensors` file: its tensors, metadata and where the data starts.
public struct SafetensorsHeader: Sendable {
    /// One tensor as the header describes it.
    public struct Entry: Sendable, Equatable {
        /// The tensor's name.
        public var name: String
        /// The dtype string, e.g. `F32`, `BF16`.
        public var dtype: String
        /// The tensor's extents (each non-negative).
        public var shape: [Int]
        /// Where its bytes begin and end, relative to `dataOffset`.
        public var begin: Int, end: Int
    }

    /// Largest JSON header accepted (100 MB), as in the reference implementation.
    public static let maxSize = 100_000_000
    /// The key that holds the string-to-string metadata.
    public static let metadataKey = "__metadata__"

    /// The tensors, in data order (by `begin`, then `end`, then name): for a file Brittle wrote,
    /// the order they were written in. JSON object keys have no order.
    public var entries: [Entry]
    /// The metadata strings.
    public var metadata: [String: String]
    /// The byte offset where the tensors' data starts (8 + the header length).
    public var dataOffset: Int

    /// Parses the header at the start of `bytes` (the whole file, or at least its header);
    /// `path` names the source in errors.
    ///
    /// - Throws: `DataError`: fewer bytes than the header (`.truncated`), a length over
    ///   `maxSize`, JSON that is malformed or not an object, metadata that is not strings, or a
    ///   tensor without a string dtype, a list of non-negative integer extents, and
    ///   `data_offsets` `[begin, end]` of non-negative integers (`.malformed`).
    public static func parse(_ bytes: [UInt8], path: String) throws -> SafetensorsHeader {
        func bad(_ problem: String, _ kind: DataError.Kind = .malformed) -> DataError {
            DataError(kind, path: path, problem: problem)
        }
        guard bytes.count >= 8 else {
            throw DataError.truncated(path, what: "safetensors file", expected: 8, actual: bytes.count)
        }
        let declared = bytes.loadLittleEndian(UInt64.self, at: 0)
        guard declared <= UInt64(maxSize) else {
            throw bad("header length \(declared) exceeds the \(maxSize)-byte limit (not a safetensors file?)")
        }
        let headerSize = Int(declared)
        guard 8 + headerSize <= bytes.count else {
            throw bad(
                "header length \(headerSize) is larger than the \(bytes.count - 8) bytes that follow it "
                    + "(truncated, or not a safetensors file)", .truncated)
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerSize)]))
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw bad("malformed JSON header: \(reason)")
        }
        guard let members = json as? [String: Any] else { throw bad("the JSON header is not an object") }

        var entries: [Entry] = []
        var metadata: [String: String] = [:]
        for (key, value) in members {
            if key == metadataKey {
                guard let pairs = value as? [String: Any] else { throw bad("'\(metadataKey)' is not an object") }
                for (k, v) in pairs {
                    guard let s = v as? String else {
                        throw bad("metadata '\(k)' is not a string (safetensors metadata values are strings)")
                    }
                    metadata[k] = s
                }
                continue
            }
            guard let fields = value as? [String: Any] else { throw bad("tensor '\(key)' is not an object") }
            func field(_ name: String) throws -> Any {
                guard let v = fields[name] else { throw bad("tensor '\(key)' has no \"\(name)\"") }
                return v
            }
            guard let dtype = try field("dtype") as? String else {
                throw bad("tensor '\(key)': dtype is not a string")
            }
            let badShape = bad("tensor '\(key)': shape is not a list of non-negative integers")
            guard let shapeItems = try field("shape") as? [Any] else { throw badShape }
            let shape = shapeItems.compactMap(nonNegativeInt)
            guard shape.count == shapeItems.count else { throw badShape }
            guard let offsets = try field("data_offsets") as? [Any], offsets.count == 2,
                let begin = nonNegativeInt(offsets[0]), let end = nonNegativeInt(offsets[1])
            else { throw bad("tensor '\(key)': data_offsets is not [begin, end], non-negative integers") }
            entries.append(Entry(name: key, dtype: dtype, shape: shape, begin: begin, end: end))
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        return SafetensorsHeader(entries: entries, metadata: metadata, dataOffset: 8 + headerSize)
    }

    /// `value` as an Int when JSON gave an integer literal that is non-negative and fits: not a
    /// boolean (which bridges to 0/1) and not a fraction or exponent (which arrive as doubles).
    private static func nonNegativeInt(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let type = String(cString: number.objCType)
        if ["q", "l", "i", "s"].contains(type) {
            let v = number.int64Value
            return v >= 0 ? Int(exactly: v) : nil
        }
        if ["Q", "L", "I", "S"].contains(type) {
            return Int(exactly: number.uint64Value)
        }
        return nil
    }
}
