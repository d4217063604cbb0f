package seed

import (
	"math/rand/v2"
	"strings"
)

// Word lists for synthetic text: enough variety for search and sorting to
// behave as on real data, with no meaning intended.
var (
	topics = []string{"databases", "caching", "queues", "security", "testing", "indexing", "graphql",
		"observability", "deployment", "storage", "networking", "concurrency", "migrations", "apis",
		"performance", "reliability", "search", "payments", "identity", "streaming"}
	adjectives = []string{"Practical", "Modern", "Reliable", "Essential", "Advanced", "Hands-on",
		"Effective", "Scalable", "Pragmatic", "Robust", "Applied", "Thorough"}
	nouns = []string{"backends", "services", "schemas", "pipelines", "systems", "workloads",
		"endpoints", "clusters", "transactions", "indexes", "queries", "releases"}
	words = []string{"request", "response", "table", "index", "query", "cache", "queue", "token",
		"session", "server", "client", "latency", "throughput", "retry", "deploy", "monitor",
		"schema", "column", "constraint", "transaction", "replica", "partition", "log", "metric",
		"alert", "budget", "error", "page", "cursor", "filter", "order", "version", "release"}
	firstNames = []string{"Ada", "Bruno", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana", "Ivan",
		"Jun", "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq"}
	lastNames = []string{"Abe", "Baker", "Costa", "Diaz", "Eze", "Fischer", "Gupta", "Haddad",
		"Ivanova", "Jensen", "Kim", "Lopez", "Mensah", "Novak", "Okafor", "Park", "Rossi", "Silva"}
	languages = []string{"en", "en", "en", "en-GB", "fr", "de", "es", "pt-BR"}
)

func pick[T any](rng *rand.Rand, from []T) T { return from[rng.IntN(len(from))] }

func (g *generator) name() string { return pick(g.rng, firstNames) + " " + pick(g.rng, lastNames) }

func (g *generator) title() string {
	return pick(g.rng, adjectives) + " " + pick(g.rng, topics) + " for " + pick(g.rng, nouns)
}

func (g *generator) sentence(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = pick(g.rng, words)
	}
	s := strings.Join(parts, " ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func (g *generator) paragraphs(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = g.sentence(12) + " " + g.sentence(10) + " " + g.sentence(14)
	}
	return strings.Join(parts, "\n\n")
}

// slugify lowercases s and joins its words with hyphens.
func slugify(s string) string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	})
	return strings.Join(f, "-")
}
