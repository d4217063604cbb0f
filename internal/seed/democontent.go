package seed

// demoCourse is one course of the demo catalogue, as authored.
type demoCourse struct {
	Slug             string   // lowercase kebab-case, <= 80 chars, unique
	Title            string   // 1..200 chars
	Summary          string   // <= 500 chars, one or two sentences
	Description      string   // markdown, a few paragraphs
	Level            string   // "BEGINNER" | "INTERMEDIATE" | "ADVANCED"
	Language         string   // BCP 47 tag, e.g. "en", "en-GB", "fr"
	Status           string   // "PUBLISHED" | "DRAFT" | "ARCHIVED"
	Owner            string   // email of a demoUser with Role "INSTRUCTOR"
	Instructors      []string // emails of extra co-instructors (role INSTRUCTOR), may be empty
	Assistants       []string // emails of assistants, may be empty
	Requirements     []string // ordered, each <= 200 chars, at most 10
	Takeaways        []string // ordered, each <= 200 chars, at most 10
	Tags             []string // tag slugs from demoTags, at most 10
	Sections         []demoSection
	FAQ              []demoFAQ // at most 10
	PublishedDaysAgo int       // how long ago it was published (0 for drafts)
}

// demoSection is an ordered group of lessons inside a course.
type demoSection struct {
	Title   string
	Lessons []demoLesson
}

// demoLesson is one article-style lesson.
type demoLesson struct {
	Slug           string // kebab-case, unique within the course
	Title          string
	ReadingMinutes int
	Access         string // "PUBLIC" | "ENROLLED"
	Draft          bool   // true: lesson status DRAFT (not published)
	Body           string // markdown
}

// demoFAQ is one question and answer shown on a course page.
type demoFAQ struct{ Question, Answer string }

// demoTag is a catalogue tag.
type demoTag struct{ Slug, Name string }

// demoUser is an account of the demo dataset.
type demoUser struct {
	Email       string // lowercase, @example.com addresses only
	DisplayName string
	Role        string // "ADMIN" | "INSTRUCTOR" | "LEARNER"
	Bio         string // <= 300 chars, may be empty
}

// demoReview is a learner's rating of a course they are enrolled in.
type demoReview struct {
	Course string // course slug
	Author string // learner email; must also appear in demoEnrollments for that course
	Rating int    // 1..5
	Body   string // <= 1000 chars
}

// demoEnrollment puts a learner on a course, with their progress so far.
type demoEnrollment struct {
	Course           string // course slug (PUBLISHED or ARCHIVED courses only)
	Learner          string // learner email
	CompletedLessons int    // how many of the course's published lessons (in order) this learner finished
}

var demoTags = []demoTag{
	{Slug: "backend", Name: "Back-End"},
	{Slug: "databases", Name: "Databases"},
	{Slug: "sql", Name: "SQL"},
	{Slug: "postgresql", Name: "PostgreSQL"},
	{Slug: "api-design", Name: "API Design"},
	{Slug: "graphql", Name: "GraphQL"},
	{Slug: "security", Name: "Security"},
	{Slug: "devops", Name: "DevOps"},
	{Slug: "testing", Name: "Testing"},
	{Slug: "architecture", Name: "Architecture"},
	{Slug: "event-driven", Name: "Event-Driven Systems"},
}

var demoUsers = []demoUser{
	{
		Email:       "admin@example.com",
		DisplayName: "Ruth Adeyemi",
		Role:        "ADMIN",
		Bio:         "Runs the Lectern demo platform: accounts, course approvals and the occasional broken link.",
	},
	{
		Email:       "amara.osei@example.com",
		DisplayName: "Amara Osei",
		Role:        "INSTRUCTOR",
		Bio:         "Backend engineer for twelve years, mostly on payments and scheduling systems. Believes most outages start with a missing timeout.",
	},
	{
		Email:       "daniel.kowalski@example.com",
		DisplayName: "Daniel Kowalski",
		Role:        "INSTRUCTOR",
		Bio:         "Database reliability engineer. Has read more query plans than novels and enjoys making slow reports fast.",
	},
	{
		Email:       "claire.dubois@example.com",
		DisplayName: "Claire Dubois",
		Role:        "INSTRUCTOR",
		Bio:         "API designer based in Lyon. Teaches SQL to beginners in French and schema design to teams in English.",
	},
	{
		Email:       "priya.raman@example.com",
		DisplayName: "Priya Raman",
		Role:        "LEARNER",
		Bio:         "Data analyst moving into backend work. Helps out as a course assistant when she can.",
	},
	{
		Email:       "kenji.watanabe@example.com",
		DisplayName: "Kenji Watanabe",
		Role:        "LEARNER",
		Bio:         "Frontend developer who wants to understand what happens after the fetch call.",
	},
	{
		Email:       "lucia.fernandez@example.com",
		DisplayName: "Lucía Fernández",
		Role:        "LEARNER",
		Bio:         "",
	},
	{
		Email:       "samuel.mensah@example.com",
		DisplayName: "Samuel Mensah",
		Role:        "LEARNER",
		Bio:         "Career changer, formerly a secondary school physics teacher.",
	},
	{
		Email:       "hannah.berg@example.com",
		DisplayName: "Hannah Berg",
		Role:        "LEARNER",
		Bio:         "Mobile developer in Oslo, building the API for her team's next app.",
	},
	{
		Email:       "omar.haddad@example.com",
		DisplayName: "Omar Haddad",
		Role:        "LEARNER",
		Bio:         "Étudiant en informatique à Montréal.",
	},
	{
		Email:       "zoe.campbell@example.com",
		DisplayName: "Zoe Campbell",
		Role:        "LEARNER",
		Bio:         "",
	},
}

var demoCourses = []demoCourse{
	{
		Slug:    "backend-development-from-first-principles",
		Title:   "Back-End Development from First Principles",
		Summary: "A practical tour of everything that happens behind an app's interface, from the first request to the database and back. Learn the habits that keep a backend correct, secure and easy to run, without tying yourself to one framework.",
		Description: `Most backend tutorials teach one framework. This course teaches the ideas underneath all of them: what a server is for, how data should be shaped and protected, how an API makes promises to its clients, and how a system is shipped and kept running.

Each lesson is a short article you can read in a few minutes. Every one ends with concrete advice you can apply to a real project the same day, whether you write Go, Python, JavaScript, Java or something else.

## How the course is organised

- **Foundations** gives you the map: requests, servers, databases, APIs, security, performance and scale.
- **Data**, **API design** and **Security** cover the decisions that are expensive to change later.
- **Infrastructure** and **Shipping** cover the moving parts around your code and how to release safely.
- **Testing** closes the loop by showing where tests pay off most.

The whole Foundations section is free to read, as is the first lesson of every other section.`,
		Level:       "BEGINNER",
		Language:    "en",
		Status:      "PUBLISHED",
		Owner:       "amara.osei@example.com",
		Instructors: []string{"daniel.kowalski@example.com"},
		Assistants:  []string{"priya.raman@example.com"},
		Requirements: []string{
			"Comfortable writing small programs in at least one programming language.",
			"Basic use of a terminal: moving between folders and running commands.",
			"A rough idea of how the web works: browsers, URLs and HTTP requests.",
			"A computer that can run a database locally; any recent laptop is enough.",
			"No previous backend or database experience is needed.",
		},
		Takeaways: []string{
			"Explain what happens to a request on its way from the browser to the database and back.",
			"Design a relational data model whose constraints protect the data from bugs.",
			"Design consistent APIs with sensible pagination, versioning and error responses.",
			"Apply a security baseline: identity, sessions, permissions, validation and careful logging.",
			"Use caching, queues and idempotent retries to keep a service fast and dependable.",
			"Ship changes safely with separate environments, monitoring, feature flags and rollbacks.",
			"Decide what to test first and write tests that run against a real database.",
		},
		Tags: []string{"backend", "databases", "api-design", "security", "devops", "testing"},
		Sections: []demoSection{
			{
				Title: "Foundations",
				Lessons: []demoLesson{
					{
						Slug:           "what-a-backend-does",
						Title:          "What a Backend Does",
						ReadingMinutes: 4,
						Access:         "PUBLIC",
						Body: `Every app you use has two halves. The part you see runs on your device; the part you do not see runs on machines someone else operates. That second half is the backend, and its job is narrower than people think: keep the data true, decide who may do what, and answer questions quickly.

## The three jobs

- **Store state** that must outlive any single device: accounts, orders, messages.
- **Enforce rules** the client cannot be trusted with, such as prices, quotas and permissions.
- **Coordinate work** between users and other systems, like sending email or charging a card.

A useful test when you are unsure where a piece of logic belongs: if a user could gain something by changing it on their own machine, it belongs on the server.

## What it is not

The backend is not the place to draw every pixel or to hold a long conversation with one user's browser. Keep it focused on data and decisions.

When you design a feature, write down which of the three jobs it touches before writing any code. Features that touch all three, such as checkout, deserve the most care and the most tests. Features that touch none may not need the server at all.`,
					},
					{
						Slug:           "the-request-lifecycle",
						Title:          "The Request Lifecycle",
						ReadingMinutes: 4,
						Access:         "PUBLIC",
						Body: `When a browser asks your server for something, a predictable chain of steps runs. Knowing the chain tells you where to look when something is slow or broken.

## Step by step

1. **DNS and connection**: the client resolves your hostname and opens a connection, usually wrapped in TLS.
2. **Routing**: a load balancer or reverse proxy picks a server process and forwards the request.
3. **Middleware**: your framework parses headers, checks authentication, applies rate limits and attaches a request ID.
4. **Handler**: your code validates input, reads or writes data, and builds a response.
5. **Response**: status code, headers and body travel back, and the connection may be reused.

## Practical habits

- Give every request an ID at the edge and include it in every log line and every downstream call.
- Measure time per step, not just in total.
- Set a timeout on every outbound call a handler makes.

The request ID lets you follow one request through the whole system when a user reports a problem, instead of guessing. Per-step timing matters because a request that takes 900 milliseconds might spend 850 of them waiting on a single query, and no amount of tuning the handler will fix that. And a call with no deadline can hold a connection, a thread and a database transaction forever.`,
					},
					{
						Slug:           "servers",
						Title:          "Servers",
						ReadingMinutes: 4,
						Access:         "PUBLIC",
						Body: `A server is just a program that listens on a port and answers requests. Whether it runs on a rented virtual machine, inside a container or as a function the cloud starts on demand, the same questions apply.

## Questions to answer for any server

- **How many requests can it handle at once?** That depends on threads, an event loop or a pool of workers.
- **What happens when it restarts?** Anything held only in memory disappears.
- **How does it stop?** A graceful shutdown stops accepting new work, finishes requests in flight, then exits.
- **Where does its configuration come from?** Environment variables or a config file, never values baked into the code.

## Stateless by default

Design each server process so it could be killed at any moment and replaced by an identical copy. Store sessions, uploads and job state in shared services such as a database, a cache or an object store. Once processes are interchangeable, scaling becomes a matter of running more of them, and a crashed instance is a minor event rather than an outage.

Start with one process and a health-check endpoint that reports whether it can reach its dependencies. Most hosting platforms use that endpoint to decide when to send traffic to an instance.`,
					},
					{
						Slug:           "databases",
						Title:          "Databases",
						ReadingMinutes: 4,
						Access:         "PUBLIC",
						Body: `Your database is the part of the backend that must not be wrong. Servers can be restarted and caches can be emptied, but lost or corrupted data is often gone for good.

## What a database gives you

- **Durability**: once a write is confirmed, it survives a crash.
- **Transactions**: several changes either all happen or none do.
- **Concurrency control**: two users editing at once do not silently overwrite each other.
- **Queries**: you describe the data you need instead of writing the search yourself.

## Choosing one

For most new projects, a relational database such as PostgreSQL is the sensible default. It handles structured data, enforces rules, and copes with far more load than a young product will produce. Reach for something else when you can name the specific need it solves, such as full-text search at large scale or a flood of time-series writes.

## Habits that pay off early

Run the same database engine in development that you use in production, so surprises appear on your laptop rather than in front of users. Put every schema change in a versioned migration file checked into the repository. Take automated backups from day one, and restore one into a scratch environment at least once. A backup you have never restored is only a hope.`,
					},
					{
						Slug:           "apis",
						Title:          "APIs",
						ReadingMinutes: 3,
						Access:         "PUBLIC",
						Body: `An API is the contract between your backend and everything that talks to it: your own web and mobile apps, partners, and scripts written by colleagues. Once other people depend on it, changing it becomes expensive, so a little thought up front saves a lot of pain later.

## Common styles

- **REST over HTTP**: resources at URLs, manipulated with standard methods. Simple and widely understood.
- **GraphQL**: one endpoint where clients describe the exact shape of the data they want. Useful when many clients need different views of the same data.
- **RPC, for example gRPC**: calls that look like functions, efficient between internal services.

Pick one style per audience and stay consistent within it.

## What makes an API pleasant

Predictable names, the same pagination and error format everywhere, and documentation with real examples. Consumers should never have to guess whether a field is called userId, user_id or owner.

Treat the API as a product with its own users. Write down the request and response for a new endpoint before implementing it, and show them to someone who will call it. Ten minutes of review at that stage catches awkward shapes that would otherwise live for years.`,
					},
					{
						Slug:           "security",
						Title:          "Security",
						ReadingMinutes: 3,
						Access:         "PUBLIC",
						Body: `Security is not a feature you add at the end; it is a set of habits applied to every change. The good news is that most breaches exploit a short list of well-known mistakes.

## The usual suspects

- Trusting input from the client, which leads to injection and broken validation.
- Checking that a user is signed in, but not that they may touch this particular record.
- Storing passwords with a fast hash or, worse, in plain text.
- Secrets committed to the repository or printed in logs.
- Dependencies that have not been updated in years.

## A baseline for every project

Use HTTPS everywhere. Hash passwords with a slow, salted algorithm such as Argon2 or bcrypt. Use parameterised queries for all database access. Check authorisation on the server for every request, based on the authenticated user rather than on IDs the client sends about itself. Keep secrets in the environment or a secrets manager, and rotate them when people leave the team.

Finally, assume something will eventually go wrong. Keep an audit trail of sensitive actions and know how you would revoke every active session at once. Security is partly about prevention and partly about limiting the damage when prevention fails.`,
					},
					{
						Slug:           "performance",
						Title:          "Performance",
						ReadingMinutes: 3,
						Access:         "PUBLIC",
						Body: `Performance work starts with measurement, not with guesses. Most slow backends are slow for boring reasons, and the fix is usually in data access rather than in clever code.

## Measure the right things

- **Latency percentiles**: the median hides pain, so watch the 95th and 99th percentiles.
- **Time per dependency**: database, cache and external APIs, each recorded separately.
- **Queries per request**: a page that runs 200 queries has an N+1 problem.

## Common fixes, in order of payoff

1. Add the missing index for a slow query.
2. Fetch related records in one batch instead of one at a time.
3. Return less data: select only the columns you need and paginate lists.
4. Cache results that are expensive to compute and change rarely.
5. Move slow work, such as sending email, out of the request and onto a queue.

## Set a budget

Decide what fast enough means for each endpoint, for example 200 milliseconds at the 95th percentile, and alert when it is exceeded. A budget turns performance from an occasional panic into a routine check, and it stops you from polishing code that is already good enough.`,
					},
					{
						Slug:           "scalability",
						Title:          "Scalability",
						ReadingMinutes: 4,
						Access:         "PUBLIC",
						Body: `Scalability is the ability to handle more load by adding resources rather than by rewriting the system. It is not the same as performance: a fast system can still fall over when traffic doubles, and a slower one can grow smoothly.

## Scale in stages

- **Vertical first**: a bigger database machine buys a lot of headroom cheaply.
- **Horizontal for stateless servers**: run more copies behind a load balancer.
- **Read replicas** for read-heavy workloads, accepting that replicas may lag slightly.
- **Partitioning** the data only when one database truly cannot keep up.

Each stage adds operational work, so take the next one only when measurements say you need it.

## Find the bottleneck

Under load, one component always saturates first: a connection pool, a single hot table, a partner's rate limit. Run a load test, watch which resource runs out, and fix that one thing. Then test again, because the bottleneck moves.

## Keep your options open

Keep servers stateless, make background jobs safe to run on several workers at once, and avoid queries that scan whole tables. None of these cost much at the start, and together they mean that growth becomes a capacity problem you can buy your way out of rather than a redesign.`,
					},
				},
			},
			{
				Title: "Data",
				Lessons: []demoLesson{
					{
						Slug:           "data-modelling",
						Title:          "Data Modelling",
						ReadingMinutes: 4,
						Access:         "PUBLIC",
						Body: `A data model describes the things your product cares about and how they relate. Get it roughly right and features fall into place; get it wrong and every new feature fights the schema.

## Start from the nouns

Write down the main nouns in the product and the sentences that connect them: a course has many sections, a learner enrols in many courses. Each noun is a candidate table, and each sentence tells you about a relationship.

- **One-to-many**: put a foreign key on the many side, so each section holds a course ID.
- **Many-to-many**: use a join table, so an enrolment holds a course ID and a learner ID.
- **One-to-one**: often a sign that two tables should be one, unless one side is optional and large.

## Practical rules

Give every table a surrogate primary key, such as a UUID or an identity column, rather than using emails or names that may change. Add created and updated timestamps to everything; you will want them when debugging. Model states explicitly with a single status column instead of a handful of booleans that can contradict each other.

Finally, sketch the queries your main screens will run. If a common screen needs six joins, the model may be fighting the product.`,
					},
					{
						Slug:           "constraints-and-consistency",
						Title:          "Constraints and Consistency",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `Application code has bugs, gets bypassed by scripts, and runs in several copies at once. Database constraints are the last line of defence, and they hold no matter who writes the data.

## Constraints worth using

- **NOT NULL** on every column that must always have a value.
- **UNIQUE** for natural identifiers such as an email or a slug; it is the only reliable way to prevent duplicates under concurrent requests.
- **FOREIGN KEY** so rows never point at records that no longer exist.
- **CHECK** for simple rules, such as a rating between 1 and 5 or an end date after a start date.

## Consistency across several writes

When one action changes several rows, wrap it in a transaction. Creating an order with its line items, or publishing a course together with its lessons, must happen completely or not at all.

Watch out for read-then-write races. Checking whether a seat is free and then booking it in two separate steps lets two users book the same seat. Either let a unique constraint reject the second booking, or lock the row with SELECT ... FOR UPDATE inside the transaction.

When a constraint fails, translate the database error into a clear message for the user rather than returning a generic server error.`,
					},
					{
						Slug:           "normalisation-trade-offs",
						Title:          "Normalisation Trade-offs",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `Normalisation means storing each fact in exactly one place. It prevents the classic bug where a customer's address is updated in one table but not in another. Denormalisation deliberately copies data to make reads faster or simpler.

## Normalise by default

- Updates touch one row, so data cannot drift out of sync.
- Tables stay small and focused.
- Constraints are easy to express.

## When copying is worth it

- **Historical records**: an invoice should keep the price that was charged, not look up today's price.
- **Expensive aggregates**: a review count or average rating shown on every course card.
- **Read models** built for one screen that would otherwise need many joins.

## Denormalise safely

Every copy needs a clear owner and an update path. Keep the source of truth normalised and treat the copy as derived data. Update it in the same transaction as the source when you can, or from a background job when slight staleness is acceptable. Write down which columns are derived, and keep a script that can rebuild them from scratch; one day a bug will corrupt them and you will need it.

Measure before denormalising. A well-indexed join is usually fast enough, and the extra moving parts only pay off on genuinely hot paths.`,
					},
					{
						Slug:           "sql-and-nosql",
						Title:          "SQL and NoSQL",
						ReadingMinutes: 3,
						Access:         "ENROLLED",
						Body: `The choice between a relational database and a document, key-value or wide-column store is often framed as old versus modern. It is really a question about the shape of your data and how you read it.

## Relational databases shine when

- Data is structured and relationships matter.
- You need transactions across several records.
- Questions change over time, so ad-hoc queries must stay possible.

## Other stores shine when

- **Key-value stores** serve simple lookups at very high speed, such as sessions or counters.
- **Document stores** hold self-contained records that are read and written as a whole.
- **Wide-column and time-series stores** absorb huge volumes of append-only writes.

## A pragmatic approach

Start with one relational database and add specialised stores for specific jobs when you can measure the need. Modern relational databases also handle JSON columns well, so semi-structured data rarely forces a second system on its own.

Every extra data store is another thing to back up, secure, monitor and upgrade, and another place where data can disagree. If you do add one, decide which system is the source of truth for each piece of data, and make the other a copy that can be rebuilt.`,
					},
					{
						Slug:           "querying",
						Title:          "Querying",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `Most backend work ends in a query. Writing queries that are correct, safe and efficient is a core skill, whether you use raw SQL or an ORM.

## Safe by construction

Never build a query by gluing strings together with user input. Use parameters, so the database treats input strictly as data. ORMs do this for you, but their raw-query helpers often do not.

## Efficient habits

- Select only the columns you need.
- Filter and sort in the database, not in application memory.
- Use joins or batched lookups instead of one query per row.
- Put a limit on every query that returns a list.
- Prefer keyset pagination, where each page starts after the last ID seen, over large offsets.

## Know what your ORM does

Turn on query logging in development and read it. You will often find one innocent loop producing hundreds of queries, or a convenience method loading an entire table. Fixing these is usually a one-line change once you see them.

For complex reports, do not be afraid of plain SQL. It is easier to read, review and tune than a long chain of ORM calls. Keep those queries in version control next to the code that runs them, with a test that checks the result on known data.`,
					},
					{
						Slug:           "indexing",
						Title:          "Indexing",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `An index is a separate structure that lets the database find rows without reading the whole table, much like the index at the back of a book. The right index can turn a query that takes seconds into one that takes milliseconds.

## When to add an index

- Columns used in the WHERE clause of frequent queries.
- Foreign keys, which are used in joins and when deleting parent rows.
- Columns used to sort paginated lists.

## Composite indexes

An index on course ID and creation date together serves queries that filter by course and sort by date. Column order matters: put columns compared with equality first, then the one used for ranges or sorting.

## The costs

Every index slows writes a little and uses disk space and memory. Ten indexes on a busy table can make inserts noticeably slower. Remove indexes that are never used; most databases keep usage statistics you can check.

## Confirm with the query plan

Do not guess. Run EXPLAIN on the slow query before and after adding an index, and confirm the plan changed from a full scan to an index scan. Test with realistic data volumes, because on a table with a hundred rows the planner will quite rightly ignore your index.`,
					},
				},
			},
			{
				Title: "API design",
				Lessons: []demoLesson{
					{
						Slug:           "resource-design",
						Title:          "Resource Design",
						ReadingMinutes: 3,
						Access:         "PUBLIC",
						Body: `A good API is organised around the things clients care about, not around your database tables or your internal functions. Those things are resources.

## Naming and structure

- Use plural nouns for collections, such as /courses and /courses/42/sections.
- Keep nesting shallow; once a client has a section's ID, /sections/7 is enough.
- Use HTTP methods for actions: GET reads, POST creates, PATCH updates part of a resource, DELETE removes.
- Give actions that are not simple updates their own clearly named endpoint, such as POST /courses/42/publish.

## Shape of a response

Use consistent field names and types everywhere. Send timestamps in ISO 8601 format and UTC, use string IDs that clients treat as opaque, and send an explicit null rather than dropping a field when a value is absent. Include the ID in every resource so clients can refer back to it.

## Do not leak internals

An API that mirrors your tables column for column is easy to build and hard to change. Decide what the client actually needs and expose that. Internal flags, keys that point at hidden tables, and half-finished fields should stay private, because anything you expose will be relied on by someone.`,
					},
					{
						Slug:           "pagination-and-filtering",
						Title:          "Pagination and Filtering",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `Any endpoint that returns a list will eventually return too many items. Design pagination in from the start; adding it later breaks every client.

## Offset or cursor

- **Offset pagination**, with a page number and size, is simple and lets users jump to any page. It gets slow on deep pages and skips or repeats items when data changes between requests.
- **Cursor pagination** returns an opaque token pointing just after the last item. It stays fast and stable, and suits feeds and infinite scrolling.

For most APIs, cursors are the better default. Encode the sort key and ID of the last item in the cursor, and keep the token opaque so you can change its format later.

## Filtering and sorting

Accept filters as explicit, documented parameters such as status=published or tag=security. Allow sorting only on fields backed by an index, and always add a unique tie-breaker, usually the ID, so the order is stable.

## Limits

Set a default page size and a maximum, and enforce the maximum on the server. Tell the client whether more results exist. Avoid returning a total count on every request for large tables; counting millions of rows is expensive, so offer it only when the client asks.`,
					},
					{
						Slug:           "versioning",
						Title:          "Versioning",
						ReadingMinutes: 3,
						Access:         "ENROLLED",
						Body: `Once an API has users, every change must answer one question: will existing clients keep working? Versioning is how you make incompatible changes without breaking them.

## Safe changes that need no new version

- Adding a new endpoint.
- Adding an optional field to a request.
- Adding a field to a response, as long as clients ignore fields they do not know.

## Breaking changes

- Removing or renaming a field.
- Changing a field's type or meaning.
- Making an optional input required.
- Changing default behaviour, such as sort order.

## How to version

The simplest scheme is a version in the URL path, such as /v1/courses. A version in a header keeps URLs clean but is harder to try out in a browser. GraphQL APIs usually avoid versions altogether and evolve the schema by adding fields and deprecating old ones.

Whatever the scheme, publish a deprecation policy: how long old versions stay available and how you announce changes. Record which clients still call deprecated fields so you can contact them before removal. Breaking changes are sometimes necessary; surprising people with them is not.`,
					},
					{
						Slug:           "error-handling",
						Title:          "Error Handling",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `Errors are part of your API's contract. Clients need to know what went wrong, whether retrying could help, and what to show the user.

## Use status codes honestly

- **400** for malformed input, **422** for input that is well formed but invalid.
- **401** when the caller is not authenticated, **403** when they are but lack permission.
- **404** when the resource does not exist, or when the caller should not learn that it does.
- **409** for conflicts, such as a duplicate slug.
- **429** for rate limits, with a Retry-After header.
- **5xx** only for failures on your side.

## A consistent error body

Return the same structure for every error: a stable machine-readable code such as slug_taken, a human-readable message, and, for validation problems, a list of the fields that failed and why. Clients should branch on the code, never on the message text.

## Keep internals private

Never send stack traces, SQL fragments or internal hostnames to clients. Log the full detail on the server with the request ID, and return that ID in the response so support staff can find the log entry when a user reports a problem. Test your error paths as carefully as your success paths; they are what users see on a bad day.`,
					},
				},
			},
			{
				Title: "Security",
				Lessons: []demoLesson{
					{
						Slug:           "identity",
						Title:          "Identity",
						ReadingMinutes: 3,
						Access:         "PUBLIC",
						Body: `Identity answers the question of who is making a request. It comes before everything else in security, because permissions mean nothing if you cannot tell users apart.

## Ways to prove identity

- **Passwords**, stored only as slow, salted hashes such as Argon2id or bcrypt.
- **Single sign-on** through an identity provider using OpenID Connect.
- **Passkeys**, which remove shared secrets entirely.
- **Magic links** sent by email, convenient for low-risk products.

Unless identity is your product, consider delegating it to a well-maintained provider or library. Home-made authentication is a frequent source of serious bugs.

## Details that matter

Treat email addresses as case-insensitive when looking up accounts, and verify them before trusting them. Rate-limit sign-in attempts per account and per IP address. Give the same response for an unknown email and a wrong password, so attackers cannot discover which accounts exist.

Password reset is a sign-in path too. Reset tokens should be random, single use, short-lived and stored hashed. Offer multi-factor authentication, and require it for administrators. Finally, record sign-ins with time and rough location so users and support staff can spot suspicious activity.`,
					},
					{
						Slug:           "sessions-and-tokens",
						Title:          "Sessions and Tokens",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `After a user proves who they are, the backend must recognise them on every following request without asking for a password again. There are two broad approaches.

## Server-side sessions

The server stores a session record and gives the browser a random ID in a cookie. Revoking access is easy: delete the record. Set the cookie with the Secure, HttpOnly and SameSite attributes, so scripts cannot read it and other sites cannot easily send it.

## Signed tokens

A token such as a JWT carries claims signed by the server, so any service can verify it without a database lookup. The price is that a token stays valid until it expires, even after the user signs out.

- Keep access tokens short-lived, around 5 to 15 minutes.
- Pair them with a refresh token that is stored server-side and can be revoked.
- Put only identifiers and a few claims in a token, never secrets.
- Check the signature algorithm explicitly instead of trusting the token's own header.

## Choosing

For a web application talking to its own backend, cookie sessions are simpler and safer. Tokens make sense when many independent services or third-party clients must verify identity. Whichever you choose, issue a fresh session identifier at sign-in to prevent session fixation.`,
					},
					{
						Slug:           "permissions-and-roles",
						Title:          "Permissions and Roles",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `Authentication tells you who the user is; authorisation decides what they may do. Most serious API vulnerabilities are authorisation mistakes, not clever exploits.

## Roles and ownership

Roles such as admin, instructor and learner grant broad permissions. Real rules usually also depend on the relationship between the user and the record: an instructor may edit their own course, not every course.

- Check permissions on the server for every operation, including reads.
- Load the record first, then ask whether this user may act on it.
- Deny by default: an operation with no rule is forbidden.
- Return 404 instead of 403 when admitting that a record exists would leak information.

## Keep rules in one place

If-statements scattered across handlers drift apart over time. Put permission checks in a single module or policy engine, with functions named after the question they answer, such as can edit course, and call them everywhere. This makes the rules easy to review and to test.

## Test the refusals

For every endpoint, write tests where a different user, a user with a lower role and an anonymous caller all try the operation and are refused. These tests are cheap and catch the most damaging class of bug: one user reading or changing another user's data by guessing an ID.`,
					},
					{
						Slug:           "input-validation",
						Title:          "Input Validation",
						ReadingMinutes: 3,
						Access:         "ENROLLED",
						Body: `Everything that arrives from outside your server is untrusted: request bodies, query strings, headers, uploaded files and even data from partner systems. Validation turns that input into values your code can rely on.

## Validate at the boundary

- Check types, required fields, lengths and ranges as soon as a request arrives.
- Reject unknown fields when unexpected input would signal a client bug.
- Normalise values once, for example trimming whitespace and lowercasing emails.
- Prefer allow-lists, such as a fixed set of sortable fields, over trying to block bad values.

## Validation is not escaping

Checking that a name is under 100 characters does not make it safe to put into HTML or SQL. Use parameterised queries for the database and escape output for the context where it is displayed. Treat these as separate defences.

## Good error messages

Return all validation errors in one response, each tied to its field, so a form can highlight every problem at once. Keep limits in one place and share them with the frontend where possible, so users meet the same rules in both. Finally, cap request body and file sizes at the proxy or framework level, before your handler spends any memory on a hostile payload.`,
					},
					{
						Slug:           "logging",
						Title:          "Logging",
						ReadingMinutes: 3,
						Access:         "ENROLLED",
						Body: `Logs are how you find out what happened after the fact, including during a security incident. Good logs are structured, searchable and free of secrets.

## Log in a structured format

Write each entry as a set of key-value fields, usually JSON, rather than free text. Include a timestamp, a level, the request ID, the user ID where known, and the operation. Structured logs can be filtered and counted instead of searched by hand.

## What to record

- Sign-ins, failed sign-ins and password changes.
- Permission refusals, which often reveal someone probing.
- Administrative actions, such as changing a user's role.
- Errors, with enough context to reproduce them.

## What never to record

- Passwords, tokens, session IDs and API keys.
- Full payment card numbers or government identifiers.
- Whole request bodies, which tend to contain all of the above.

Add a redaction step to your logger that masks known sensitive field names, so one careless log line does not leak credentials. Decide how long logs are kept and who may read them; logs containing personal data fall under the same privacy rules as the database. For security-relevant actions, keep a separate audit log that is append-only and retained for longer.`,
					},
				},
			},
			{
				Title: "Infrastructure",
				Lessons: []demoLesson{
					{
						Slug:           "storage-and-uploads",
						Title:          "Storage and Uploads",
						ReadingMinutes: 3,
						Access:         "PUBLIC",
						Body: `User uploads such as images, videos and documents do not belong in your database or on the local disk of a server process. Put them in an object store and keep only their metadata in the database.

## A robust upload flow

1. The client asks your API for permission to upload, giving the file name, size and type.
2. The API checks permissions and limits, creates a pending record and returns a short-lived signed upload URL.
3. The client uploads directly to the object store, so large files never pass through your servers.
4. The client confirms completion, and the backend checks that the object exists before marking the record ready.

## Protect yourself

- Enforce maximum sizes and allowed content types, and inspect the actual file contents, not just the extension.
- Generate storage keys yourself; never use the user's file name as a path.
- Scan files for malware if other users will download them.
- Serve private files through short-lived signed download URLs.

## Clean up

Uploads that are never confirmed leave orphaned objects behind. Run a periodic job that deletes objects with no matching ready record after a day or so, and set lifecycle rules in the object store as a backstop.`,
					},
					{
						Slug:           "caching-and-invalidation",
						Title:          "Caching and Invalidation",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `A cache stores the result of expensive work so the next request can skip it. Caching is easy to add and hard to get right, because the hard part is knowing when a cached value is no longer true.

## Where to cache

- **HTTP caching** with Cache-Control and ETag headers lets browsers and proxies reuse responses.
- **Shared application caches** such as Redis hold computed results for all server processes.
- **In-process caches** are fastest, but each server keeps its own copy, so copies drift apart.

## Invalidation strategies

- **Time to live**: entries expire after a fixed period. Simple, and fine when slight staleness is acceptable.
- **Delete on write**: when data changes, remove the related keys so the next read refills them.
- **Versioned keys**: include a version number or updated timestamp in the key, so changed data naturally lands under a new key.

## Pitfalls

Never cache a response that depends on the user under a key that ignores the user; that is how one person ends up seeing another's data. Guard against stampedes, where many requests miss at once and all hit the database, by letting only one request recompute a value. And always keep a safe way to flush the cache, because sooner or later it will hold something wrong.`,
					},
					{
						Slug:           "cdns",
						Title:          "CDNs",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `A content delivery network is a large set of caching servers spread around the world. It serves files from a location near the user, which cuts latency and takes load off your own servers.

## What to put behind a CDN

- Static assets: scripts, stylesheets, fonts and images.
- Public media such as course thumbnails and videos.
- Public API responses that are identical for every visitor, with short cache lifetimes.

## Asset caching done right

Give built assets file names that include a hash of their contents, such as app.3f9a1c.js, and let them be cached for a year. When a file changes, its name changes too, so users never get a stale version and you never need to purge. HTML pages that reference those assets should have short cache lifetimes or none.

## Things to watch

Make sure responses that vary by user, such as anything behind a sign-in, are marked private or no-store, or the CDN may serve one user's page to another. Learn how to purge content quickly, both a single path and everything, before you need it in an emergency. Finally, have the CDN reach your origin over HTTPS, and restrict the origin so nobody can bypass the CDN and its protections.`,
					},
					{
						Slug:           "queues",
						Title:          "Queues",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `Some work does not need to happen while the user waits: sending emails, resizing images, generating reports, calling slow partner APIs. A queue lets the request record the job and return quickly, while separate worker processes do the work.

## How it fits together

- The web request validates input, writes to the database and enqueues a job with the IDs it needs.
- Workers take jobs off the queue, do the work and acknowledge success.
- Failed jobs are retried, and after several failures moved to a dead-letter queue for inspection.

## Design guidelines

Put IDs in the job, not whole objects, so workers read fresh data when they run. Keep jobs small; one job per email is easier to retry than one job for ten thousand emails. Give every job a timeout so a stuck worker cannot hold it forever. Enqueue only after the database transaction commits, or a worker may look for a record that does not exist yet.

## Watch the queue

Monitor queue length and the age of the oldest job. A growing queue means workers cannot keep up, and the age tells you how late users are getting their results. Alert on the dead-letter queue too: a job that failed five times is a bug report waiting to be read.`,
					},
					{
						Slug:           "retries-and-idempotency",
						Title:          "Retries and Idempotency",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `Networks fail in ambiguous ways. When a request times out, you cannot tell whether the other side did the work. Retries fix temporary failures, but only if repeating an operation is safe. That property is called idempotency.

## Making operations idempotent

- Reads are naturally idempotent.
- Setting a value, such as marking a course published, is idempotent; incrementing a counter is not.
- For creates and payments, accept an **idempotency key** from the client. Store the key with the result, and if the same key arrives again, return the stored result instead of doing the work twice.
- In workers, record which jobs have been processed and skip duplicates.

## Retrying well

- Retry only errors that might be temporary: timeouts, dropped connections, 503 and 429 responses.
- Use exponential backoff with random jitter, so clients do not retry in synchronised waves.
- Cap both the number of attempts and the total time spent.
- Respect any Retry-After header from the service you call.

## Avoid retry storms

When a dependency is struggling, aggressive retries multiply its load and keep it down. Retry at one layer only, not at every layer of the stack, and consider a circuit breaker that stops calling a failing service for a short while before trying again.`,
					},
				},
			},
			{
				Title: "Shipping",
				Lessons: []demoLesson{
					{
						Slug:           "environments",
						Title:          "Environments",
						ReadingMinutes: 3,
						Access:         "PUBLIC",
						Body: `An environment is a complete, separate copy of your system: code, configuration, database and other services. Most teams need at least three.

## The usual set

- **Local development** on each engineer's machine, ideally started with one command.
- **Staging**, which mirrors production as closely as possible and is where changes are checked before release.
- **Production**, which serves real users and holds real data.

Preview environments created automatically for each pull request are a useful addition once a team grows.

## Keep them alike

Differences between environments are where surprises hide. Use the same database engine and major version everywhere, the same container images and the same migration process. Only configuration should change: URLs, credentials, feature flags and resource sizes.

## Keep them apart

Each environment gets its own credentials, and staging must never be able to write to production data. Do not copy production data into staging without removing personal information first. Make it obvious which environment you are in; a coloured banner in admin tools has prevented many accidents.

Store configuration outside the code, in environment variables or a config service, and validate it at startup. A missing setting should stop the process immediately instead of failing on the first request.`,
					},
					{
						Slug:           "deployment",
						Title:          "Deployment",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `Deployment is how code gets from a merged pull request to running in production. The goal is to make it routine: small, frequent, automated and reversible.

## A solid pipeline

1. Every push runs tests, linters and a build in continuous integration.
2. The build produces one immutable artefact, such as a container image tagged with the commit hash.
3. The same artefact goes to staging, is checked, then is promoted to production.
4. Database migrations run as a separate, explicit step before the new code starts.

## Zero-downtime releases

- **Rolling deploys** replace instances a few at a time, so some are always serving.
- **Health checks** keep traffic away from instances that are not ready yet.
- **Graceful shutdown** lets old instances finish the requests they are handling.

## Migrations that do not break running code

During a rolling deploy, old and new code run side by side, so every schema change must work with both. Add columns as nullable first, deploy code that writes them, backfill, then add constraints. Rename by adding the new column, copying data and switching reads, and only later dropping the old one.

Deploy often. A release containing one change is easy to reason about and easy to undo; a release containing fifty is neither.`,
					},
					{
						Slug:           "monitoring",
						Title:          "Monitoring",
						ReadingMinutes: 3,
						Access:         "ENROLLED",
						Body: `Monitoring tells you whether the system is healthy right now and warns you before users notice trouble. Without it, your users become your alerting system.

## Signals to start with

For every service, track four things:

- **Traffic**: requests per second.
- **Errors**: the share of requests that fail.
- **Latency**: response time percentiles, not just averages.
- **Saturation**: how full the limiting resources are, such as CPU, memory, connection pools and queues.

Add business signals too: sign-ups, enrolments, payments. A drop in sign-ups can reveal a broken form that produces no server errors at all.

## Alerts people trust

Alert on symptoms users feel, such as a high error rate or slow checkout, rather than on every internal metric. Every alert should be actionable and link to a runbook explaining what to check first. If an alert fires and nobody needs to do anything, fix it or delete it; noisy alerts teach people to ignore the important ones.

## Tie it together

Use the same request ID in logs, metrics and traces, so you can move from a spike on a dashboard to the specific slow requests and their logs in a few clicks. Look at the main dashboard after every deployment.`,
					},
					{
						Slug:           "incidents",
						Title:          "Incidents",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `An incident is any event that harms users or puts data at risk: an outage, severe slowness, or a security breach. How a team handles incidents matters as much as how often they happen.

## During an incident

- **Declare it early.** Standing down is cheap; discovering an hour later that nobody was coordinating is not.
- **Assign roles**: one person leads and decides, others investigate, and someone handles communication.
- **Mitigate first**: roll back, switch off a feature or add capacity to stop the harm. The root cause can wait.
- **Keep a timeline** in a shared channel of what was seen and what was tried.
- **Update users** on a status page with honest, regular messages.

## After an incident

Hold a blameless review within a few days. Focus on how the system and the process allowed the problem, not on who pressed the button. Ask what made it hard to detect, hard to diagnose and hard to fix.

Turn the findings into a small number of concrete follow-up tasks with owners and dates, and track them to completion. A review whose actions are never done is just a story. Over time, these reviews are the best source of reliability improvements, because they come from real failures rather than guesses.`,
					},
					{
						Slug:           "feature-flags",
						Title:          "Feature Flags",
						ReadingMinutes: 3,
						Access:         "ENROLLED",
						Body: `A feature flag is a switch, checked at runtime, that turns a piece of behaviour on or off without a deploy. Flags separate deploying code from releasing features to users.

## What flags are good for

- Merging unfinished work to the main branch while keeping it hidden.
- Gradual rollouts, starting with internal users, then a small share of traffic.
- A kill switch to turn off a misbehaving feature in seconds.
- Trying variations with specific groups of customers.

## Using them well

Evaluate flags on the server, so hidden features are truly hidden and not just missing from the interface. Make the default safe: if the flag service is unreachable, the code should fall back to the old behaviour. Log flag decisions alongside the request, so you can tell which path a user took when investigating a bug.

## Clean up

Every flag adds a branch to your code, and combinations of flags quickly become impossible to test. Give each flag an owner and an expected removal date when you create it. Once a feature is fully rolled out and stable, delete the flag and the old code path. A short list of long-lived operational switches is fine; hundreds of forgotten flags are debt.`,
					},
					{
						Slug:           "releases-and-rollbacks",
						Title:          "Releases and Rollbacks",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `Every release is a bet that the new version is better than the old one. A rollback plan is what lets you make that bet safely.

## Release gradually

- **Canary releases** send a small share of traffic to the new version and compare its error rate and latency with the old one.
- **Blue-green deployments** keep the previous version running, so traffic can switch back instantly.
- **Feature flags** let you ship code switched off and turn the feature on separately.

## Make rollback boring

Rolling back should be one command or one button, practised regularly, not a procedure remembered under pressure. Keep the previous artefact available and know exactly how to redeploy it.

The trap is the database. Code can go back in seconds; data changes cannot. That is why schema changes should be backwards compatible: if the old code still works against the new schema, rolling back the application is safe. Destructive steps such as dropping a column belong in a later release, once you are sure you will not need to go back.

## Decide in advance

Write down rollback criteria before releasing, such as an error rate above one percent or a doubled 95th percentile latency. When they are met, roll back instead of debugging in production, and investigate calmly once users are safe.`,
					},
				},
			},
			{
				Title: "Testing",
				Lessons: []demoLesson{
					{
						Slug:           "what-to-test-first-the-boundaries",
						Title:          "What to Test First: the Boundaries",
						ReadingMinutes: 3,
						Access:         "PUBLIC",
						Body: `With limited time, test where your backend meets the outside world. Bugs at the boundaries are the ones users and attackers actually hit.

## The boundaries that matter

- **The API surface**: requests in, responses out, including status codes and error bodies.
- **Permissions**: every operation tried by the owner, by another user and by an anonymous caller.
- **Validation**: empty, too long, wrong type and unexpected values.
- **The database**: constraints, transactions and queries against real data.
- **External services**: what happens when a partner API is slow, down or returns nonsense.

## Prefer tests through the API

A test that sends a real request and checks the response exercises routing, middleware, validation, business logic and storage together. It survives refactoring, because it does not care how the code is arranged inside. Keep fine-grained unit tests for genuinely tricky logic, such as pricing rules or date calculations.

## Make tests easy to write

Build small helpers that create a user, sign in and create a course in one line each. When writing a test takes two minutes, people write them. Every bug you fix should come with a test that would have caught it, written at the boundary where the bug was reported.`,
					},
					{
						Slug:           "tests-against-real-databases",
						Title:          "Tests Against Real Databases",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `Mocking the database makes tests fast, but it hides the bugs you most need to catch: constraint violations, wrong joins, transaction behaviour and queries that simply do not parse.

## Use the real engine

Run tests against the same database engine and major version you use in production. Containers make this easy: start a throwaway instance when the suite begins, apply migrations, then run the tests. An in-memory stand-in from a different engine behaves differently in exactly the edge cases that matter.

## Keep tests isolated

- Wrap each test in a transaction and roll it back at the end, when your code allows it.
- Otherwise give each test its own schema or database, or empty the tables between tests.
- Never rely on data left behind by another test; create what you need inside the test.
- Use unique values, such as random emails, so tests can run in parallel.

## Test the migrations too

Apply every migration to an empty database in continuous integration, so a broken migration fails the build rather than the deploy. For risky migrations, also try them on a copy of production-sized data to see how long they take and whether they lock tables.

These tests are slower than pure unit tests, but usually by seconds rather than minutes, and they are far more trustworthy.`,
					},
					{
						Slug:           "load-and-failure-testing",
						Title:          "Load and Failure Testing",
						ReadingMinutes: 4,
						Access:         "ENROLLED",
						Body: `Functional tests tell you the system works for one user on a good day. Load and failure tests tell you what happens on a busy day when something breaks.

## Load testing

- Script realistic user journeys, not one endpoint hit in a loop.
- Use production-like data volumes, because small tables hide slow queries.
- Increase load step by step and record latency percentiles and error rates at each step.
- Note which resource saturates first: CPU, database connections or a partner's rate limit.

Run load tests against a dedicated environment, and tell anyone who shares the infrastructure before you start.

## Failure testing

Break dependencies on purpose and watch what happens:

- Stop the cache and check that the service slows down rather than falls over.
- Make the database slow and check that timeouts fire and connection pools recover.
- Kill a worker halfway through a job and confirm the job is retried as intended.
- Return errors from a partner API and check that users see a useful message.

## Turn results into action

Each exercise should end with a short list of findings: a missing timeout, a pool that is too small, an alert that never fired. Fix them, then repeat the test. Running these exercises a few times a year keeps both the system and the team ready for real incidents.`,
					},
				},
			},
		},
		FAQ: []demoFAQ{
			{
				Question: "Do I need to know a particular programming language?",
				Answer:   "No. The lessons explain ideas in plain language rather than in one language's syntax. Being comfortable with any language that has a web framework is enough to apply them.",
			},
			{
				Question: "How long does the course take?",
				Answer:   "There are 37 short lessons, a little over two hours of reading in total. Most learners spread them over three or four weeks and try the advice on a small project as they go.",
			},
			{
				Question: "Can I read some of it before enrolling?",
				Answer:   "Yes. The whole Foundations section is public, and so is the first lesson of every other section.",
			},
			{
				Question: "Is the course tied to a framework or cloud provider?",
				Answer:   "No. Tools are mentioned as examples, but every lesson focuses on decisions that apply whichever stack or hosting you choose.",
			},
			{
				Question: "What project should I practise on?",
				Answer:   "Something small with users and data, such as a bookmarking service or a club booking system. Build it alongside the course and revisit it after each section.",
			},
			{
				Question: "What should I take after this course?",
				Answer:   "PostgreSQL Indexing in Practice goes deeper into the Data section, and GraphQL API Design builds on the API design lessons.",
			},
		},
		PublishedDaysAgo: 120,
	},
	{
		Slug:    "postgresql-indexing-in-practice",
		Title:   "PostgreSQL Indexing in Practice",
		Summary: "Learn how PostgreSQL uses indexes, how to read a query plan, and how to choose the few indexes that make a real difference.",
		Description: `Slow queries are rarely mysterious once you can read what the database is telling you. This course shows how PostgreSQL finds rows, how to read the output of EXPLAIN ANALYZE, and how to pick indexes that match the queries your application actually runs.

## Who it is for

Developers who already write SQL every day and have met their first slow page. You should know what a table, a join and a primary key are.

Each lesson is short and ends with something to try against your own database.`,
		Level:        "INTERMEDIATE",
		Language:     "en",
		Status:       "PUBLISHED",
		Owner:        "daniel.kowalski@example.com",
		Requirements: []string{"Confident writing SELECT queries with joins.", "Access to a PostgreSQL database you are allowed to experiment on."},
		Takeaways: []string{
			"Read a query plan and spot the node that costs the most.",
			"Choose the column order of a composite index.",
			"Use partial and expression indexes where a plain index falls short.",
		},
		Tags: []string{"postgresql", "databases", "sql"},
		Sections: []demoSection{
			{
				Title: "How PostgreSQL Finds Rows",
				Lessons: []demoLesson{
					{
						Slug:           "b-tree-indexes-explained",
						Title:          "B-tree Indexes Explained",
						ReadingMinutes: 3,
						Access:         "PUBLIC",
						Body: `Almost every index you create in PostgreSQL is a B-tree. It keeps values sorted in a shallow tree, so finding one value or a range of values takes only a few page reads, even in a table with millions of rows.

## What a B-tree supports

- Equality and range comparisons, including BETWEEN.
- Sorting, so ORDER BY can read rows in index order and skip a separate sort.
- Prefix searches such as LIKE 'abc%', given a suitable operator class.

It does not help with a search for text in the middle of a value, with functions applied to the column, or usually with columns that hold only a handful of distinct values. Knowing these limits saves you from creating indexes the planner will never use.`,
					},
					{
						Slug:           "reading-explain-analyze",
						Title:          "Reading EXPLAIN ANALYZE",
						ReadingMinutes: 3,
						Access:         "ENROLLED",
						Body: `EXPLAIN shows the plan PostgreSQL intends to use; EXPLAIN ANALYZE runs the query and reports what actually happened. Add the BUFFERS option to see how many pages came from memory and how many from disk.

## What to look for

- A **Seq Scan** on a large table where you expected an index.
- A large gap between estimated and actual row counts, which points to stale statistics; run ANALYZE on the table.
- **Rows Removed by Filter** in the thousands, meaning the index narrows the search too little.
- Sort or hash steps that spill to disk.

Read the plan from the innermost node outwards. Be careful with writes: EXPLAIN ANALYZE really performs them, so run it inside a transaction you roll back.`,
					},
				},
			},
			{
				Title: "Choosing the Right Index",
				Lessons: []demoLesson{
					{
						Slug:           "composite-index-column-order",
						Title:          "Composite Index Column Order",
						ReadingMinutes: 3,
						Access:         "PUBLIC",
						Body: `A composite index covers several columns, and their order decides which queries it can serve. PostgreSQL uses such an index best when the query constrains its leading columns.

## A practical rule

Put columns tested with equality first, then the column used for a range or a sort. For a query that filters by tenant and status and sorts by creation time, an index on tenant, status and created_at, in that order, serves the filter and the ordering in one pass.

- An index on a and b helps queries on a, and on a and b together.
- It rarely helps a query on b alone.
- INCLUDE columns can allow index-only scans without changing the order.

Before adding an index, check whether an existing one already starts with the same columns.`,
					},
					{
						Slug:           "partial-and-expression-indexes",
						Title:          "Partial and Expression Indexes",
						ReadingMinutes: 3,
						Access:         "ENROLLED",
						Body: `Sometimes you do not need to index every row, or the column as stored is not what your queries compare.

## Partial indexes

A partial index has a WHERE clause. If most queries look for open orders, an index on created_at with WHERE status = 'open' stays small and fast, and ignores the millions of closed orders. Partial unique indexes are handy too, for example to allow only one active subscription per user.

## Expression indexes

An expression index stores the result of a function. An index on lower(email) lets a case-insensitive lookup use the index, as long as the query uses exactly the same expression.

- Keep the expression identical in the index and in the query.
- Check with EXPLAIN that the planner actually picks it up.`,
					},
					{
						Slug:           "index-bloat-and-maintenance",
						Title:          "Index Bloat and Maintenance",
						ReadingMinutes: 2,
						Access:         "ENROLLED",
						Draft:          true,
						Body: `Indexes need occasional care. Updates and deletes leave dead entries behind, and a heavily updated index can grow well beyond the size of its live data.

## Routine checks

- Confirm that autovacuum runs often enough on your busiest tables.
- Use the index usage statistics view to find indexes that are never scanned, and drop them.
- Rebuild a bloated index with REINDEX CONCURRENTLY so writes are not blocked.

Create new indexes on live tables with CREATE INDEX CONCURRENTLY. It takes longer and cannot run inside a transaction, but it does not lock out writers while it works.`,
					},
				},
			},
		},
		FAQ: []demoFAQ{
			{
				Question: "Which PostgreSQL version do I need?",
				Answer:   "Any supported release. Everything in the course works on recent versions, and the rare differences are pointed out.",
			},
			{
				Question: "Does the course cover other index types such as GIN?",
				Answer:   "Briefly. The focus is on B-tree indexes, which solve most everyday problems.",
			},
		},
		PublishedDaysAgo: 75,
	},
	{
		Slug:    "graphql-api-design",
		Title:   "GraphQL API Design",
		Summary: "Design a GraphQL schema that clients enjoy using and that you can keep evolving without breaking them.",
		Description: `GraphQL makes it easy to publish an API and surprisingly easy to publish a poor one. This course focuses on the decisions that are hard to reverse: how types and fields are named, what may be null, how mutations report what happened, and how lists are paginated.

## What you will build

Throughout the course we design the schema for a small course catalogue, from the first types to pagination and error handling.

The examples use no particular server library, so you can follow along in whichever language your team favours.`,
		Level:        "INTERMEDIATE",
		Language:     "en-GB",
		Status:       "PUBLISHED",
		Owner:        "claire.dubois@example.com",
		Instructors:  []string{"amara.osei@example.com"},
		Assistants:   []string{"hannah.berg@example.com"},
		Requirements: []string{"Experience building or consuming at least one HTTP API.", "A basic reading knowledge of GraphQL queries."},
		Takeaways: []string{
			"Organise a schema around the domain rather than the database.",
			"Choose nullability deliberately and name things consistently.",
			"Design mutations and error types that clients can rely on.",
			"Paginate lists with connections and stable cursors.",
		},
		Tags: []string{"graphql", "api-design", "backend"},
		Sections: []demoSection{
			{
				Title: "Designing the Schema",
				Lessons: []demoLesson{
					{
						Slug:           "thinking-in-graphs",
						Title:          "Thinking in Graphs",
						ReadingMinutes: 2,
						Access:         "PUBLIC",
						Body: `A GraphQL schema should describe your domain as clients experience it, not as your database stores it. Start from the screens and integrations you need to support, and ask which objects they show and how those objects connect.

## Guidelines

- Model relationships as fields: a Course has sections, rather than a list of section IDs.
- Favour specific types over a generic catch-all type.
- Expose the same object through the same type everywhere, so clients can cache it by ID.
- Leave out fields nobody has asked for yet; adding later is easy, removing is not.

A schema organised around the domain stays stable while the storage underneath it changes.`,
					},
					{
						Slug:           "naming-and-nullability",
						Title:          "Naming and Nullability",
						ReadingMinutes: 3,
						Access:         "ENROLLED",
						Body: `Names are the first documentation clients read. Use camelCase for fields, PascalCase for types and verbs for mutations, such as publishCourse. Avoid abbreviations and names that describe the implementation.

## Choosing nullability

A non-null field is a promise. If its resolver fails, the error spreads up to the nearest nullable parent, which can wipe out a far larger part of the response than you intended.

- Make IDs and fields guaranteed by the database non-null.
- Keep fields that depend on other services or on permissions nullable.
- For lists, prefer a non-null list of non-null items, so clients need not check for gaps.

Tightening an output field from nullable to non-null later is safe for clients; loosening it is a breaking change.`,
					},
					{
						Slug:           "mutations-that-explain-themselves",
						Title:          "Mutations That Explain Themselves",
						ReadingMinutes: 3,
						Access:         "ENROLLED",
						Body: `Design each mutation around a single user intention, such as enrolInCourse or archiveCourse, rather than a generic updateCourse that accepts any field.

## A consistent shape

- Take a single input object argument, so fields can be added without breaking callers.
- Return a payload type containing the changed object, so clients can update their cache in one round trip.
- Include a list of user errors in the payload for expected problems, such as a slug already in use.

Specific mutations make permissions easier to reason about, because each one maps to one rule. They also make logs and metrics far more readable: a spike in archiveCourse calls tells you something, whereas a spike in updateCourse calls tells you very little.`,
					},
				},
			},
			{
				Title: "Running It in Production",
				Lessons: []demoLesson{
					{
						Slug:           "connections-and-pagination",
						Title:          "Connections and Pagination",
						ReadingMinutes: 3,
						Access:         "PUBLIC",
						Body: `Lists in a GraphQL API should be paginated from day one. The connection pattern is understood by the popular client libraries and pairs naturally with cursor-based pagination.

## The pattern

- A field such as courses takes first and after arguments and returns a connection.
- The connection holds edges, each with a node and a cursor, plus pageInfo with hasNextPage and endCursor.
- Cursors are opaque strings: clients pass them back but never parse them.

Enforce a maximum page size on the server, and sort by a stable key with a unique tie-breaker so pages never overlap. Offer totalCount only where it is cheap, because counting a large table on every request soon becomes the slowest part of the query.`,
					},
					{
						Slug:           "errors-as-data",
						Title:          "Errors as Data",
						ReadingMinutes: 3,
						Access:         "ENROLLED",
						Body: `GraphQL has a top-level errors list, but it is a poor home for problems users are expected to fix. Those entries are untyped, easy for clients to ignore, and mixed up with genuine failures.

## Two kinds of error

- **Unexpected failures**, such as a database outage, belong in the top-level list with a stable code in the extensions.
- **Expected outcomes**, such as invalid input or a refused permission, belong in the schema as typed data.

Modelling expected errors as part of a payload or a union means they appear in the schema, tooling can check that clients handle them, and the messages can be localised. Keep the top-level list for things the user cannot act on.`,
					},
					{
						Slug:           "limiting-query-cost",
						Title:          "Limiting Query Cost",
						ReadingMinutes: 2,
						Access:         "ENROLLED",
						Draft:          true,
						Body: `Because clients choose the shape of each query, a single request can ask for an enormous amount of data. Any server open to the internet needs limits.

## Layers of protection

- A maximum query depth, which stops absurdly nested queries.
- A complexity score, where each field has a cost and list fields multiply by the requested page size.
- Timeouts per request, and rate limits per client measured in complexity points rather than in requests.
- Persisted queries for your own apps, so only known operations run in production.

Return a clear error when a limit is exceeded, so legitimate developers know how to adjust their queries.`,
					},
				},
			},
		},
		FAQ: []demoFAQ{
			{
				Question: "Do I need to use a specific GraphQL server?",
				Answer:   "No. The course is about schema design, which carries over to any server library.",
			},
			{
				Question: "Is REST covered as well?",
				Answer:   "Only for comparison. If you are new to API design, start with Back-End Development from First Principles.",
			},
		},
		PublishedDaysAgo: 40,
	},
	{
		Slug:    "introduction-a-sql",
		Title:   "Introduction à SQL",
		Summary: "Apprenez à interroger une base de données relationnelle avec SQL, de la première requête SELECT aux jointures et aux regroupements.",
		Description: `Ce cours s'adresse à celles et ceux qui n'ont jamais écrit de requête SQL. En quelques leçons courtes, vous apprendrez à lire des données, à les filtrer, à les trier puis à combiner plusieurs tables.

## Comment suivre le cours

Chaque leçon présente une notion, des conseils concrets et une idée d'exercice. Installez une petite base d'exemple sur votre ordinateur et essayez chaque requête vous-même : c'est en pratiquant que SQL devient naturel.`,
		Level:        "BEGINNER",
		Language:     "fr",
		Status:       "PUBLISHED",
		Owner:        "claire.dubois@example.com",
		Requirements: []string{"Savoir utiliser un ordinateur et installer un logiciel.", "Aucune connaissance préalable en programmation n'est nécessaire."},
		Takeaways: []string{
			"Comprendre l'organisation d'une base relationnelle en tables, clés et contraintes.",
			"Écrire des requêtes SELECT qui filtrent et trient les résultats.",
			"Combiner plusieurs tables avec des jointures.",
			"Résumer des données avec GROUP BY et les fonctions d'agrégat.",
		},
		Tags: []string{"sql", "databases"},
		Sections: []demoSection{
			{
				Title: "Premiers pas",
				Lessons: []demoLesson{
					{
						Slug:           "qu-est-ce-qu-une-base-relationnelle",
						Title:          "Qu'est-ce qu'une base relationnelle ?",
						ReadingMinutes: 2,
						Access:         "PUBLIC",
						Body: `Une base de données relationnelle range les informations dans des tables. Chaque table décrit un seul type de chose : des clients, des commandes, des produits. Chaque ligne est un élément, et chaque colonne une propriété de cet élément.

## Les notions clés

- La **clé primaire** identifie chaque ligne de façon unique.
- La **clé étrangère** relie une ligne à une ligne d'une autre table, par exemple une commande à son client.
- Les **contraintes** empêchent d'enregistrer des données incohérentes.

SQL est le langage qui permet de créer ces tables, d'y écrire et surtout de les interroger. On y décrit le résultat voulu, et la base choisit elle-même la meilleure façon de l'obtenir.`,
					},
					{
						Slug:           "lire-des-donnees-avec-select",
						Title:          "Lire des données avec SELECT",
						ReadingMinutes: 2,
						Access:         "ENROLLED",
						Body: `La commande SELECT lit des données. Sous sa forme la plus simple, elle indique les colonnes voulues et la table où les chercher, par exemple SELECT nom, ville FROM clients.

## Bonnes habitudes

- Nommez les colonnes dont vous avez besoin plutôt que d'utiliser l'étoile, qui ramène tout.
- Donnez des alias lisibles aux colonnes calculées avec AS.
- Écrivez les mots-clés SQL en majuscules et les noms de tables en minuscules : la requête se lit plus facilement.

Exercez-vous sur une petite base d'exemple. Modifiez une requête, relancez-la, observez le résultat : c'est la manière la plus rapide de comprendre le rôle de chaque partie.`,
					},
					{
						Slug:           "filtrer-et-trier",
						Title:          "Filtrer et trier",
						ReadingMinutes: 2,
						Access:         "ENROLLED",
						Body: `La clause WHERE ne garde que les lignes qui respectent une condition, et ORDER BY fixe l'ordre du résultat.

## Les opérateurs courants

- Les comparaisons habituelles, ainsi que BETWEEN pour un intervalle.
- IN pour une liste de valeurs, LIKE pour un motif de texte.
- IS NULL pour trouver les valeurs absentes, car une comparaison d'égalité avec NULL n'est jamais vraie.

Combinez les conditions avec AND et OR, et ajoutez des parenthèses dès qu'il y a un doute sur l'ordre d'évaluation. Sans ORDER BY, l'ordre des lignes n'est pas garanti, même s'il semble stable. Ajoutez enfin LIMIT pour ne ramener que les premières lignes d'un long résultat.`,
					},
				},
			},
			{
				Title: "Combiner les données",
				Lessons: []demoLesson{
					{
						Slug:           "les-jointures",
						Title:          "Les jointures",
						ReadingMinutes: 2,
						Access:         "PUBLIC",
						Body: `Les données utiles sont souvent réparties entre plusieurs tables. Une jointure les rassemble dans un seul résultat en reliant les lignes qui se correspondent.

## Deux jointures à connaître

- **INNER JOIN** ne garde que les lignes qui ont une correspondance des deux côtés : les commandes avec leur client.
- **LEFT JOIN** garde toutes les lignes de la table de gauche, même sans correspondance : tous les clients, y compris ceux qui n'ont jamais commandé.

Précisez toujours la condition de jointure avec ON, en général l'égalité entre une clé étrangère et une clé primaire. Oublier cette condition produit toutes les combinaisons possibles, et le résultat explose très vite.`,
					},
					{
						Slug:           "regrouper-et-agreger",
						Title:          "Regrouper et agréger",
						ReadingMinutes: 2,
						Access:         "ENROLLED",
						Body: `Les fonctions d'agrégat résument plusieurs lignes en une seule valeur : COUNT compte, SUM additionne, AVG calcule une moyenne, MIN et MAX cherchent les extrêmes.

## GROUP BY et HAVING

- GROUP BY forme un groupe par valeur distincte, par exemple un groupe par client.
- Chaque colonne du SELECT doit figurer dans le GROUP BY ou dans un agrégat.
- HAVING filtre les groupes après le calcul, alors que WHERE filtre les lignes avant.

Un exemple de question : quels clients ont passé plus de trois commandes cette année ? On garde l'année voulue avec WHERE, on regroupe par client, puis on conserve avec HAVING les groupes qui comptent plus de trois commandes.`,
					},
				},
			},
		},
		FAQ: []demoFAQ{
			{
				Question: "Quel logiciel faut-il installer ?",
				Answer:   "N'importe quelle base relationnelle convient. SQLite est la plus simple à installer pour débuter, et PostgreSQL est un excellent choix pour la suite.",
			},
			{
				Question: "Le cours existe-t-il en anglais ?",
				Answer:   "Pas pour l'instant. La section Data du cours Back-End Development from First Principles aborde des sujets proches en anglais.",
			},
		},
		PublishedDaysAgo: 200,
	},
	{
		Slug:    "event-driven-systems",
		Title:   "Event-Driven Systems",
		Summary: "Design services that communicate through events, and make them correct when messages arrive late, twice or out of order.",
		Description: `Events let services react to each other without being tightly coupled, but they bring their own failure modes. This course covers the difference between commands and events, how to design event schemas that can evolve, and how to stay correct with at-least-once delivery.

## Before you start

You should be comfortable building and running a web service backed by a database. The course assumes familiarity with transactions and retries.`,
		Level:        "ADVANCED",
		Language:     "en",
		Status:       "DRAFT",
		Owner:        "amara.osei@example.com",
		Instructors:  []string{"daniel.kowalski@example.com"},
		Requirements: []string{"Experience running a web service with a relational database in production.", "Familiarity with transactions, retries and idempotency."},
		Takeaways: []string{
			"Tell commands and events apart and choose the right one.",
			"Design event schemas that can change without breaking consumers.",
			"Build idempotent consumers that tolerate duplicate and late messages.",
		},
		Tags: []string{"event-driven", "architecture", "backend"},
		Sections: []demoSection{
			{
				Title: "Events and Messages",
				Lessons: []demoLesson{
					{
						Slug:           "commands-and-events",
						Title:          "Commands and Events",
						ReadingMinutes: 3,
						Access:         "PUBLIC",
						Body: `Messages between services come in two kinds. A **command** asks one recipient to do something, such as charging a card, and may be refused. An **event** states a fact that has already happened, such as a payment being captured, and any number of services may react to it.

## Why the distinction matters

- Commands create a dependency on one receiver; events let you add consumers without touching the producer.
- Events are named in the past tense and cannot be rejected, only handled.
- Mixing the two produces events that are really disguised requests, which couple services as tightly as a direct call.

Before publishing a message, ask whether the sender cares who handles it. If it does, it is a command.`,
					},
					{
						Slug:           "designing-event-schemas",
						Title:          "Designing Event Schemas",
						ReadingMinutes: 2,
						Access:         "ENROLLED",
						Body: `An event schema is a public contract, often read by teams you have never met. Treat it with the same care as a public API.

## Guidelines

- Include an event ID, a type, a version, a timestamp and the ID of the entity concerned.
- Choose deliberately between thin events that carry only IDs and fat events that carry the changed state.
- Evolve schemas by adding optional fields, and publish a new event type for breaking changes.
- Keep the definitions in a schema registry, or at least in one shared repository.

Consumers should ignore fields they do not understand, and producers should never remove a field without a migration period.`,
					},
				},
			},
			{
				Title: "Delivery Guarantees",
				Lessons: []demoLesson{
					{
						Slug:           "at-least-once-delivery",
						Title:          "At-Least-Once Delivery",
						ReadingMinutes: 2,
						Access:         "PUBLIC",
						Body: `Most message brokers promise at-least-once delivery: a message will arrive, but it may arrive more than once, and sometimes out of order. Exactly-once processing is something you build on top, not something the network gives you.

## Building on it safely

- Make every consumer idempotent, for example by recording the IDs of processed events.
- Put version numbers on entities so stale updates can be recognised and discarded.
- Acknowledge a message only after its effects are committed.
- Send messages that keep failing to a dead-letter queue, and alert on it.

With these habits, duplicates become harmless and the system tolerates a crash at any point.`,
					},
					{
						Slug:           "the-transactional-outbox",
						Title:          "The Transactional Outbox",
						ReadingMinutes: 2,
						Access:         "ENROLLED",
						Draft:          true,
						Body: `A common bug in event-driven systems: a service saves a record, then publishes an event, but crashes in between. The database and the rest of the world now disagree.

## The outbox pattern

- In the same transaction as the business change, insert the event into an outbox table.
- A separate relay process reads unsent rows, publishes them to the broker and marks them sent.
- Because the relay may publish a row twice, consumers must stay idempotent.

The pattern turns two writes that can fail independently into one atomic write followed by a step that is safe to retry.`,
					},
				},
			},
		},
		FAQ: []demoFAQ{
			{
				Question: "Which message broker does the course use?",
				Answer:   "None in particular. The patterns apply to any broker or streaming platform.",
			},
		},
		PublishedDaysAgo: 0,
	},
	{
		Slug:    "legacy-monolith-migration",
		Title:   "Legacy Monolith Migration",
		Summary: "Move functionality out of a large legacy application step by step, without a risky big-bang rewrite.",
		Description: `Many teams inherit a large application that everyone is afraid to touch. This course describes a gradual way out: map what the system really does, carve off one capability at a time, untangle the shared data, and switch traffic over safely.

## Note

This course has been archived. It remains available to enrolled learners, but it is no longer updated and some tooling advice may be out of date.`,
		Level:        "INTERMEDIATE",
		Language:     "en",
		Status:       "ARCHIVED",
		Owner:        "daniel.kowalski@example.com",
		Requirements: []string{"Experience maintaining a large production application."},
		Takeaways: []string{
			"Map a legacy system and rank candidates for extraction.",
			"Apply the strangler fig approach to replace it piece by piece.",
			"Split shared data and cut over traffic with a way back.",
		},
		Tags: []string{"architecture", "backend", "devops"},
		Sections: []demoSection{
			{
				Title: "Planning the Move",
				Lessons: []demoLesson{
					{
						Slug:           "mapping-the-monolith",
						Title:          "Mapping the Monolith",
						ReadingMinutes: 2,
						Access:         "PUBLIC",
						Body: `Before moving anything out of a monolith, find out what is actually in it. Documentation is usually out of date; the running system is not.

## Build a map

- List the main modules and the tables each one reads and writes.
- Trace the busiest and most error-prone requests in production.
- Check version control for the parts that change most often; they are usually worth extracting first.
- Look for hidden couplings, such as shared tables or in-process caches.

The goal is not a perfect diagram but a ranked list of candidates, each with a reason it would be worth the cost of moving.`,
					},
					{
						Slug:           "the-strangler-fig-approach",
						Title:          "The Strangler Fig Approach",
						ReadingMinutes: 2,
						Access:         "ENROLLED",
						Body: `Rewriting a monolith from scratch rarely succeeds: the old system keeps changing while the new one tries to catch up. The strangler fig approach replaces it piece by piece instead.

## How it works

- Put a routing layer, such as a reverse proxy, in front of the monolith.
- Build one capability in a new service and route just its requests there.
- Keep the old code path available until the new one has proved itself.
- Repeat, shrinking the monolith until what remains is small enough to keep or retire.

Each step delivers value on its own, and the migration can pause at any point without leaving the system half broken.`,
					},
				},
			},
			{
				Title: "Doing the Work",
				Lessons: []demoLesson{
					{
						Slug:           "splitting-the-database",
						Title:          "Splitting the Database",
						ReadingMinutes: 3,
						Access:         "ENROLLED",
						Body: `Moving code out of a monolith is the easy part; shared tables are what really hold the system together. A new service is not independent while another codebase writes to its data.

## A gradual approach

- Give the new service ownership of its tables, and make the monolith call the service instead of querying them.
- Where the monolith still needs the data, expose it through an API or publish change events.
- During the transition, write to both places and compare the results before switching reads.
- Drop the old tables only after nothing has read them for a while.

Expect this step to take longer than the code changes, and plan for it.`,
					},
					{
						Slug:           "cutting-over-traffic",
						Title:          "Cutting Over Traffic",
						ReadingMinutes: 2,
						Access:         "ENROLLED",
						Body: `The final switch should be a non-event. Move traffic gradually, watch the right numbers, and keep a quick way back.

## A safe cutover

- Start by mirroring a copy of real requests to the new service and comparing its responses.
- Route a small share of users to it, then increase in steps.
- Compare error rates and latency between the old and new paths at each step.
- Keep the route back to the monolith as a single configuration change.

Once all traffic has moved and stayed stable for a few weeks, delete the old code. Leaving it in place invites someone to fix a bug in the wrong copy.`,
					},
				},
			},
		},
		FAQ: []demoFAQ{
			{
				Question: "Why was this course archived?",
				Answer:   "Its examples relied on tools that are no longer maintained. The ideas still hold, and enrolled learners keep access.",
			},
		},
		PublishedDaysAgo: 640,
	},
}

var demoEnrollments = []demoEnrollment{
	{Course: "backend-development-from-first-principles", Learner: "kenji.watanabe@example.com", CompletedLessons: 37},
	{Course: "backend-development-from-first-principles", Learner: "lucia.fernandez@example.com", CompletedLessons: 12},
	{Course: "backend-development-from-first-principles", Learner: "samuel.mensah@example.com", CompletedLessons: 5},
	{Course: "backend-development-from-first-principles", Learner: "hannah.berg@example.com", CompletedLessons: 37},
	{Course: "backend-development-from-first-principles", Learner: "omar.haddad@example.com", CompletedLessons: 0},
	{Course: "backend-development-from-first-principles", Learner: "zoe.campbell@example.com", CompletedLessons: 20},
	{Course: "postgresql-indexing-in-practice", Learner: "priya.raman@example.com", CompletedLessons: 4},
	{Course: "postgresql-indexing-in-practice", Learner: "kenji.watanabe@example.com", CompletedLessons: 2},
	{Course: "postgresql-indexing-in-practice", Learner: "omar.haddad@example.com", CompletedLessons: 1},
	{Course: "graphql-api-design", Learner: "kenji.watanabe@example.com", CompletedLessons: 5},
	{Course: "graphql-api-design", Learner: "lucia.fernandez@example.com", CompletedLessons: 3},
	{Course: "graphql-api-design", Learner: "zoe.campbell@example.com", CompletedLessons: 0},
	{Course: "introduction-a-sql", Learner: "lucia.fernandez@example.com", CompletedLessons: 5},
	{Course: "introduction-a-sql", Learner: "samuel.mensah@example.com", CompletedLessons: 2},
	{Course: "introduction-a-sql", Learner: "omar.haddad@example.com", CompletedLessons: 5},
	{Course: "legacy-monolith-migration", Learner: "priya.raman@example.com", CompletedLessons: 4},
	{Course: "legacy-monolith-migration", Learner: "samuel.mensah@example.com", CompletedLessons: 1},
}

var demoReviews = []demoReview{
	{
		Course: "backend-development-from-first-principles",
		Author: "kenji.watanabe@example.com",
		Rating: 5,
		Body:   "Exactly what I needed as a frontend developer. The request lifecycle lesson finally explained why our pages were slow, and the idempotency lesson changed how I think about the retry button in our app.",
	},
	{
		Course: "backend-development-from-first-principles",
		Author: "hannah.berg@example.com",
		Rating: 4,
		Body:   "Clear, short lessons with advice I could use straight away. I would have liked a worked example project running through all seven sections, but the Security and Shipping sections alone were worth it.",
	},
	{
		Course: "backend-development-from-first-principles",
		Author: "samuel.mensah@example.com",
		Rating: 3,
		Body:   "Well written, but it moves quickly for a complete beginner. I had to look up quite a few terms in the Foundations lessons. I have started Introduction à SQL to fill the gaps and will come back to this one afterwards.",
	},
	{
		Course: "backend-development-from-first-principles",
		Author: "zoe.campbell@example.com",
		Rating: 4,
		Body:   "Halfway through and enjoying it. The lessons on constraints and on pagination saved me from two mistakes I was about to make at work.",
	},
	{
		Course: "postgresql-indexing-in-practice",
		Author: "priya.raman@example.com",
		Rating: 5,
		Body:   "I can finally read a query plan without panicking. The advice on column order in composite indexes fixed our slowest report the same afternoon.",
	},
	{
		Course: "postgresql-indexing-in-practice",
		Author: "omar.haddad@example.com",
		Rating: 2,
		Body:   "Too dense for where I am right now. The first lesson assumed more PostgreSQL experience than the description suggested, and I would have liked more examples with real numbers.",
	},
	{
		Course: "graphql-api-design",
		Author: "kenji.watanabe@example.com",
		Rating: 4,
		Body:   "Practical and opinionated in a good way. The nullability lesson explained a bug we had been chasing for weeks. A lesson on schema testing would make it even better.",
	},
	{
		Course: "introduction-a-sql",
		Author: "omar.haddad@example.com",
		Rating: 5,
		Body:   "Très clair et bien progressif. Les exemples de jointures m'ont enfin fait comprendre la différence entre INNER JOIN et LEFT JOIN.",
	},
	{
		Course: "introduction-a-sql",
		Author: "lucia.fernandez@example.com",
		Rating: 4,
		Body:   "Un bon cours pour débuter, court et concret. J'aurais aimé quelques exercices corrigés à la fin de chaque section.",
	},
	{
		Course: "legacy-monolith-migration",
		Author: "priya.raman@example.com",
		Rating: 3,
		Body:   "The planning lessons are still useful, especially mapping the monolith. Some of the tooling advice feels dated now, which I suppose is why the course was archived.",
	},
}
