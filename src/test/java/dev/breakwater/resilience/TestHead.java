package dev.breakwater.resilience;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** A {@link ResponseHead} for tests: a status, headers looked up case-insensitively, and optional error fields. */
final class TestHead implements ResponseHead {
    private final int status;
    private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    private String errorType;
    private String errorCode;

    private TestHead(int status, Map<String, String> headers) {
        this.status = status;
        this.headers.putAll(headers);
    }

    /** A head with {@code status} and no headers. */
    static TestHead of(int status) {
        return new TestHead(status, Map.of());
    }

    /** A head with {@code status} and {@code headers}, whatever their case. */
    static TestHead of(int status, Map<String, String> headers) {
        return new TestHead(status, headers);
    }

    /** A head with {@code status} and the headers {@code name1, value1, name2, value2, ...}. */
    static TestHead of(int status, String... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("names and values must come in pairs");
        }
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return new TestHead(status, headers);
    }

    /** This head with an OpenAI error body's {@code error.type} and {@code error.code}. */
    TestHead error(String type, String code) {
        this.errorType = type;
        this.errorCode = code;
        return this;
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    @Override
    public String errorType() {
        return errorType;
    }

    @Override
    public String errorCode() {
        return errorCode;
    }
}
