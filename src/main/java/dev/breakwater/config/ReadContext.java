package dev.breakwater.config;

/** What every {@link YamlValue} of one document shares: where problems go and how variables resolve. */
record ReadContext(Problems problems, EnvSubstitution env) {}
