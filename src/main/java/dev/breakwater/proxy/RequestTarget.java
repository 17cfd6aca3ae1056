package dev.breakwater.proxy;

/**
 * The path and query of a request target, still percent-encoded. An absolute-form target
 * ({@code http://other-host/x}) keeps only its path and query: the authority is never used to pick a host, so a
 * client cannot turn Breakwater into an open proxy.
 *
 * @param path the path, starting with {@code /}
 * @param query the query without {@code ?}, or null
 */
record RequestTarget(String path, String query) {

    static RequestTarget parse(String uri) {
        String rest = uri;
        int scheme = uri.startsWith("/") ? -1 : uri.indexOf("://");
        if (scheme > 0) {
            int authorityEnd = scheme + 3;
            while (authorityEnd < uri.length() && "/?#".indexOf(uri.charAt(authorityEnd)) < 0) {
                authorityEnd++;
            }
            rest = uri.substring(authorityEnd);
        }
        int fragment = rest.indexOf('#');
        if (fragment >= 0) {
            rest = rest.substring(0, fragment);
        }
        int q = rest.indexOf('?');
        String path = q >= 0 ? rest.substring(0, q) : rest;
        String query = q >= 0 ? rest.substring(q + 1) : null;
        if (!path.startsWith("/")) {
            path = "/" + path;
        }
        return new RequestTarget(path, query);
    }
}
