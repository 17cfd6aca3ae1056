package dev.breakwater.admin;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What a configuration reload did.
 *
 * @param applied true when the new configuration is live
 * @param problems every problem of a refused file, with its YAML path
 * @param summary a one-line description for logs and the API
 */
public record ReloadResult(boolean applied, List<String> problems, String summary) {
    public ReloadResult {
        problems = List.copyOf(problems);
    }

    /** The result as the admin API returns it. */
    public JsonObject toJson() {
        return new JsonObject()
                .put("applied", applied)
                .put("summary", summary)
                .put("problems", new JsonArray(problems));
    }
}
