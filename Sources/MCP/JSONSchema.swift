import Varlink

/// Small builders for the tools' JSON Schemas (2020-12, the MCP default dialect).
enum JSONSchema {
    /// An object; `closed` refuses members not listed (input schemas; output schemas stay open
    /// so a later field does not break a client that validates).
    static func object(_ properties: [String: JSONValue], required: [String], closed: Bool = false, description: String? = nil) -> JSONValue {
        var schema: [String: JSONValue] = [
            "type": .string("object"),
            "properties": .object(properties),
            "required": .array(required.map(JSONValue.string)),
        ]
        if closed { schema["additionalProperties"] = .bool(false) }
        if let description { schema["description"] = .string(description) }
        return .object(schema)
    }

    /// `oneOf`: the values allowed (`enum`).
    static func string(_ description: String? = nil, minLength: Int? = nil, oneOf values: [String]? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": .string("string")]
        if let description { schema["description"] = .string(description) }
        if let minLength { schema["minLength"] = .integer(Int64(minLength)) }
        if let values { schema["enum"] = .array(values.map(JSONValue.string)) }
        return .object(schema)
    }

    static func integer(_ description: String? = nil, minimum: Int? = nil, maximum: Int? = nil, default value: Int? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": .string("integer")]
        if let description { schema["description"] = .string(description) }
        if let minimum { schema["minimum"] = .integer(Int64(minimum)) }
        if let maximum { schema["maximum"] = .integer(Int64(maximum)) }
        if let value { schema["default"] = .integer(Int64(value)) }
        return .object(schema)
    }

    static func number(_ description: String? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": .string("number")]
        if let description { schema["description"] = .string(description) }
        return .object(schema)
    }

    static func boolean(_ description: String? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": .string("boolean")]
        if let description { schema["description"] = .string(description) }
        return .object(schema)
    }

    /// A value of `type` or null.
    static func nullable(_ type: String, _ description: String? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": .array([.string(type), .string("null")])]
        if let description { schema["description"] = .string(description) }
        return .object(schema)
    }

    static func array(_ items: JSONValue, _ description: String? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": .string("array"), "items": items]
        if let description { schema["description"] = .string(description) }
        return .object(schema)
    }
}
