// The contract of io.tributary.Datastores, served verbatim by GetInterfaceDescription.
// Kept identical to io.tributary.Datastores.varlink (the documented source); a test compares them.

extension ControlInterface {
    /// The interface definition (Varlink IDL), byte for byte the `.varlink` file beside this one.
    public static let description = #"""
# Tributary keeps searchable indexes ("datastores") of Confluence spaces. This interface
# creates, inspects, steers and searches them. Everyone who can open the socket may call the
# read methods (List, Get, Watch, Search, ReadPage, Ask, Explain, Credits, Health,
# ListMcpKeys); the methods that change anything (Create, Update, Delete, Resync, Pause,
# Resume, AddCredits, SetCreditPolicy, CreateMcpKey, RevokeMcpKey) are allowed to uid 0, the daemon's own uid and members of the group "tributary" only, and
# answer PermissionDenied to anyone else. Secrets are write-only: no method returns a token.
# Credit amounts are integers in millicredits (1 credit = 1000 millicredits).
interface io.tributary.Datastores

# Page counts of the current sync cycle.
type PageCounts (
  # Pages the metadata sync found in scope.
  discovered: int,
  # Pages whose current version is in the index.
  indexed: int,
  # Pages left out on purpose (filters, archived, empty, too large).
  skipped: int,
  # Pages that failed in this cycle; they are retried in the next one.
  failed: int,
  # Discovered pages still waiting for processing.
  pending: int
)

# Progress of the current phase.
type Progress (
  # Pages handled in this phase, out of total.
  done: int,
  total: int,
  pagesPerSecond: float,
  # Estimated seconds to the end of the phase, when known.
  etaSeconds: ?float
)

# What a datastore waits for right now, and until when.
type DatastoreWait (
  # throttled: the site asked to slow down (429 Retry-After, rate-limit headers) or the
  # configured rate paces it; retrying: a failed request or step is tried again at until;
  # awaiting_response: a request has been waiting for its (slow) response since since.
  kind: (throttled, retrying, awaiting_response),
  # ISO 8601 UTC time the wait ends, when known.
  until: ?string,
  # ISO 8601 UTC time the wait began, when known.
  since: ?string,
  # For retrying: the coming attempt and the most there will be.
  attempt: ?int,
  maxAttempts: ?int,
  # In words, e.g. "HTTP 429 with Retry-After 900 s from https://example.atlassian.net".
  reason: string
)

# A datastore as List, Get and Watch show it.
type DatastoreStatus (
  name: string,
  # ready: searchable and up to date; syncing_metadata and processing: a sync cycle is
  # running (the previous content stays searchable); paused and failed: see reason.
  state: (syncing_metadata, processing, ready, paused, failed),
  # Machine-readable cause of paused or failed, e.g. "insufficient_credits", "authentication",
  # "permission", "space_not_found", "configuration", "user".
  reason: ?string,
  # A sentence a person can act on.
  message: ?string,
  # ISO 8601 UTC time the state was entered.
  since: string,
  url: string,
  pages: PageCounts,
  # Skipped pages by reason ("excluded_by_title", "excluded_by_label", "archived", "empty", ...).
  skippedByReason: [string]int,
  progress: ?Progress,
  # True once there is content to search, in every state.
  searchable: bool,
  # True while pages of the last cycle failed (they are retried next cycle).
  partiallySynced: bool,
  lastSyncCompleted: ?string,
  nextSync: ?string,
  # Credits the pending processing is estimated to need.
  estimatedMillicredits: ?int,
  # Macros that were not rendered, by name, with page counts.
  unrenderedMacros: [string]int,
  # "socket", or the path of the datastores.d file that defines the datastore.
  origin: ?string,
  # While a sync runs: what it waits for (absent when it is not waiting).
  waiting: ?DatastoreWait,
  # Attachments of the indexed pages (absent when the datastore indexes none).
  attachments: ?AttachmentStatus,
  # Chunk embeddings for hybrid search (absent when the datastore is not embedded).
  embeddings: ?EmbeddingStatus
)

type AttachmentStatus (
  discovered: int,
  indexed: int,
  # Recorded but not indexed, by reason (too_large, type_not_indexed, encrypted, corrupt, ...).
  skippedByReason: [string]int,
  # Download or extraction failed; retried next cycle.
  failed: int,
  # Known files whose page this sync cycle has not reconciled yet (0 at rest).
  pending: int
)

type EmbeddingStatus (
  model: string,
  dimensions: ?int,
  embedded: int,
  pending: int,
  # Why embedding stopped, when it did.
  reason: ?string
)

# The configuration of a datastore. Create takes it with the secret in token; Get returns it
# without (token is never returned; hasToken tells whether one is stored).
type DatastoreConfig (
  name: string,
  # A Confluence space URL (https://x.atlassian.net/wiki/spaces/KEY) or a site URL.
  url: string,
  # api_token: Cloud, email plus API token. pat: Data Center personal access token.
  # Default api_token.
  auth: ?(api_token, pat),
  email: ?string,
  # Write-only.
  token: ?string,
  # A file the daemon reads the token from, instead of token.
  tokenFile: ?string,
  # Returned by Get only.
  hasToken: ?bool,
  # Space keys; empty means the space in url (which must then name one). ["*"] means every
  # space the account can see (global and personal; archived ones too with includeArchived),
  # listed again at every sync: new spaces join, pages of removed or hidden spaces leave.
  spaces: ?[]string,
  # Page ids whose trees are the scope; empty means whole spaces.
  rootPageIds: ?[]string,
  # Title patterns (shell globs, case-insensitive) that pages must match / must not match.
  includeTitles: ?[]string,
  excludeTitles: ?[]string,
  # Pages with any of these labels are skipped.
  excludeLabels: ?[]string,
  # Default false.
  includeArchived: ?bool,
  # Seconds between sync cycles; the daemon's default when absent.
  resyncIntervalSeconds: ?int,
  # Requests per second to this Confluence site; the daemon's default when absent.
  rateLimit: ?float,
  # "socket" or the path of the datastores.d file (returned by Get only).
  origin: ?string,
  # Attachment types indexed (pdf, docx, pptx, xlsx, odt, ods, odp, txt, md, csv, json, xml,
  # html) or ["none"]; absent or empty: every type.
  attachments: ?[]string,
  # Largest attachment downloaded (default 25 MiB) and most characters kept of one (500000).
  maxAttachmentBytes: ?int,
  maxAttachmentChars: ?int,
  # Blog posts indexed as pages (default true).
  blogPosts: ?bool,
  # Comments joined to their page's text: none (default), footer, or all (footer and inline).
  comments: ?(none, footer, all),
  # Chunks embedded for hybrid search when the daemon has an embedding endpoint (default true).
  embeddings: ?bool
)

# A partial update: absent fields stay as they are.
type DatastoreChanges (
  url: ?string,
  auth: ?(api_token, pat),
  email: ?string,
  # Write-only.
  token: ?string,
  tokenFile: ?string,
  spaces: ?[]string,
  rootPageIds: ?[]string,
  includeTitles: ?[]string,
  excludeTitles: ?[]string,
  excludeLabels: ?[]string,
  includeArchived: ?bool,
  resyncIntervalSeconds: ?int,
  rateLimit: ?float,
  attachments: ?[]string,
  maxAttachmentBytes: ?int,
  maxAttachmentChars: ?int,
  blogPosts: ?bool,
  comments: ?(none, footer, all),
  embeddings: ?bool
)

# One search result. url cites the page, with #anchor when the passage has one.
type SearchHit (
  pageId: string,
  title: string,
  url: string,
  anchor: ?string,
  # Headings above the passage, outermost first.
  headingPath: []string,
  score: float,
  # The best window of the passage, with matched terms marked «like this».
  snippet: string,
  # The whole passage as Markdown, under its heading path.
  text: ?string,
  # The datastore the passage comes from.
  datastore: ?string,
  # The page's space key and labels.
  space: ?string,
  labels: ?[]string,
  # ISO 8601 UTC time and number of the indexed version of the page.
  lastModified: ?string,
  version: ?int,
  # page (when absent too), blogpost or attachment.
  contentType: ?string,
  # For a passage of an attachment: the attachment; the fields above are its parent page.
  attachment: ?AttachmentCitation
)

# The attachment a passage comes from.
type AttachmentCitation (
  id: string,
  # The file name.
  title: string,
  # The download URL, with #page=N when the passage is on PDF page N.
  url: string,
  mediaType: ?string,
  pageNumber: ?int
)

# One heading of a page. offset and length count characters (Unicode code points) of the
# page's whole text.
type PageSection (
  anchor: string,
  title: string,
  # 1 for the page's top headings.
  level: int,
  offset: int,
  # The section with its subsections.
  length: int
)

# A page, or a part of it, from the index.
type PageContent (
  datastore: string,
  pageId: string,
  title: string,
  # The page's web URL, with #anchor when one section was asked for.
  url: string,
  space: string,
  labels: []string,
  # The indexed version and its time (ISO 8601 UTC).
  version: int,
  lastModified: ?string,
  # Every heading of the page, in order.
  outline: []PageSection,
  # The anchor of the section returned, when one was asked for.
  section: ?string,
  # Markdown, from offset, at most maxChars characters.
  text: string,
  offset: int,
  # Characters in the whole page (or section).
  totalChars: int,
  # Where the next part starts; absent when text reaches the end.
  nextOffset: ?int
)

# A source of an answer: [n] in the answer names it.
type Citation (
  n: int,
  datastore: string,
  pageId: string,
  title: string,
  # The page URL with the #anchor of the cited passage.
  url: string,
  # When the passage is from an attachment: the attachment; the fields above are its page.
  attachment: ?AttachmentCitation
)

# Tokens the model reported.
type ModelUsage (
  promptTokens: int,
  completionTokens: int
)

type Answer (
  # Every [n] in the answer names one of citations.
  answer: string,
  citations: []Citation,
  # generated: a model wrote the answer from the passages; extractive: the best passages,
  # each cited (no model configured, or it failed: see reason).
  mode: (generated, extractive),
  reason: ?string,
  model: ?string,
  usage: ?ModelUsage,
  # Credits charged for the model's tokens.
  chargedMillicredits: ?int
)

# An MCP key, without its secret.
type McpKey (
  label: string,
  # ISO 8601 UTC.
  created: string,
  lastUsed: ?string
)

# Why a page is or is not in the index.
type PageExplanation (
  pageId: string,
  title: ?string,
  disposition: (indexed, pending, skipped, failed, deleted, unknown),
  reason: ?string,
  versionSeen: ?int,
  versionIndexed: ?int,
  chunks: int,
  url: ?string,
  unrenderedMacros: []string,
  lastProcessed: ?string,
  # The page's attachments with their dispositions.
  attachments: ?[]AttachmentExplanation
)

type AttachmentExplanation (
  id: string,
  title: string,
  disposition: (indexed, pending, skipped, failed),
  # Reason code (too_large, type_not_indexed, encrypted, corrupt, timed_out, ...) and sentence.
  reason: ?string,
  message: ?string,
  version: ?int,
  chunks: int
)

# One entry of the append-only credit ledger.
type LedgerLine (
  sequence: int,
  time: string,
  # charge: indexing; model_usage: the tokens of an answer (Ask).
  kind: (opening_balance, top_up, auto_top_off, charge, model_usage),
  # Positive for additions, negative for charges.
  millicredits: int,
  balanceAfter: int,
  datastore: ?string,
  pageId: ?string,
  pageVersion: ?int,
  note: ?string
)

# Automatic top-off: when the balance falls below threshold, amount is added, at most
# monthlyCap per calendar month (UTC).
type AutoTopOff (
  enabled: bool,
  amountMillicredits: int,
  thresholdMillicredits: int,
  monthlyCapMillicredits: int,
  usedThisMonthMillicredits: int
)

type CreditsReport (
  balanceMillicredits: int,
  # False on a fresh daemon: spending is metered but not limited until credits are added.
  enforced: bool,
  # The price of processing: millicredits per thousand indexed tokens.
  millicreditsPerThousandTokens: int,
  spentMillicredits: int,
  autoTopOff: AutoTopOff,
  # The most recent ledger entries, newest last.
  recent: []LedgerLine
)

# Absent fields stay as they are.
type CreditPolicyChange (
  autoTopOffEnabled: ?bool,
  autoTopOffAmountMillicredits: ?int,
  autoTopOffThresholdMillicredits: ?int,
  autoTopOffMonthlyCapMillicredits: ?int,
  millicreditsPerThousandTokens: ?int
)

type HealthReport (
  # ok; degraded: a datastore failed or the engine heartbeat is late; stalled: the engine
  # has not made progress for several heartbeats.
  status: (ok, degraded, stalled),
  version: string,
  uptimeSeconds: float,
  datastoresByState: [string]int,
  engineHeartbeatAgeSeconds: float,
  storeUsedBytes: int,
  storeMapBytes: int,
  # Sentences describing what is wrong, empty when status is ok.
  problems: []string
)

# Creates a datastore and starts its first sync. Mutation.
method Create(config: DatastoreConfig) -> (status: DatastoreStatus)

# Changes a datastore's configuration; a changed scope triggers a sync. Mutation.
method Update(name: string, changes: DatastoreChanges) -> (status: DatastoreStatus)

# Deletes a datastore, its index and its stored secret. Mutation.
method Delete(name: string) -> ()

# Every datastore, ordered by name.
method List() -> (datastores: []DatastoreStatus)

# One datastore's status and configuration (without the secret).
method Get(name: string) -> (status: DatastoreStatus, config: DatastoreConfig)

# Starts a sync cycle now. Mutation.
method Resync(name: string) -> (status: DatastoreStatus)

# Stops syncing until Resume; the index stays searchable. Mutation.
method Pause(name: string) -> (status: DatastoreStatus)

# Resumes a paused datastore (also retries a failed one). Mutation.
method Resume(name: string) -> (status: DatastoreStatus)

# Call with more: replies with the current status first (continues: true), then once per
# state change or progress tick. Ends with NoSuchDatastore when the datastore is deleted;
# hang up to stop watching. Without more: ExpectedMore.
method Watch(name: string) -> (status: DatastoreStatus)

# Searches one datastore (name), several (names), or every datastore with content (neither:
# the members keep the order of the first version of this method, so positional clients work),
# results merged by score. limit: 1 to 100, default 10. Filters: spaces (any of these space
# keys), labels (pages carrying all of them), modifiedAfter (ISO 8601 date or date-time, UTC
# when no zone is given). lexical: BM25 only, even where embeddings allow hybrid ranking.
method Search(name: ?string, query: string, limit: ?int, names: ?[]string, spaces: ?[]string,
              labels: ?[]string, modifiedAfter: ?string, lexical: ?bool) -> (results: []SearchHit)

# A page's Markdown from the index. page: the page id or a URL of the page. section: a heading
# anchor (the outline lists them). maxChars (1 to 1000000) and offset read a long page in
# parts: each reply says nextOffset until the end.
method ReadPage(name: string, page: string, section: ?string, maxChars: ?int, offset: ?int)
  -> (page: PageContent)

# Answers a question from the best passages of one, several or every datastore (passages: how
# many, 1 to 20, default 6), citing them as [n]. With more: replies carrying delta (the
# answer's text as the model writes it) come first, then the reply carrying answer. An
# extractive answer (no model, or the model failed) comes whole. The model's tokens are charged
# as model_usage; with credits enforced and short: InsufficientCredits.
method Ask(name: ?string, names: ?[]string, question: string, passages: ?int)
  -> (delta: ?string, answer: ?Answer)

# The keys of the MCP HTTP endpoint, without their secrets.
method ListMcpKeys() -> (keys: []McpKey)

# Creates a key for the MCP HTTP endpoint (Authorization: Bearer KEY). The key is in this reply
# only; the daemon keeps a hash. label: 1 to 64 letters, digits, '-', '_', '.', '@'. Mutation.
method CreateMcpKey(label: string) -> (label: string, key: string)

# Revokes an MCP key at once. Mutation.
method RevokeMcpKey(label: string) -> ()

# Explains why a page is or is not in the index.
method Explain(name: string, pageId: string) -> (page: PageExplanation)

# The credit balance, the policy and the newest recent ledger entries (default 20, at most 1000).
method Credits(recent: ?int) -> (credits: CreditsReport)

# Adds credits (a top-up); enables enforcement. Mutation.
method AddCredits(millicredits: int, note: ?string) -> (credits: CreditsReport)

# Changes the automatic top-off settings and the price. Mutation.
method SetCreditPolicy(policy: CreditPolicyChange) -> (credits: CreditsReport)

# The daemon's health: engine heartbeat, store usage, datastores by state.
method Health() -> (health: HealthReport)

# No datastore has this name.
error NoSuchDatastore (name: string, description: string)

# Create: a datastore with this name exists.
error DatastoreExists (name: string, description: string)

# Explain: the datastore has no page with this id.
error NoSuchPage (datastore: string, pageId: string, description: string)

# ReadPage: the page has no section with this anchor.
error NoSuchSection (datastore: string, pageId: string, anchor: string, description: string)

# RevokeMcpKey: no key has this label.
error NoSuchKey (label: string, description: string)

# CreateMcpKey: a key with this label exists.
error KeyExists (label: string, description: string)

# A parameter has a valid type but an unacceptable value.
error InvalidParameter (parameter: string, description: string)

# Confluence rejected the credentials.
error AuthenticationFailed (description: string)

# The credit balance does not cover the requested work.
error InsufficientCredits (neededMillicredits: int, balanceMillicredits: int, description: string)

# The caller may not use this method (mutations need uid 0, the daemon's uid or the group
# tributary).
error PermissionDenied (description: string)

# The datastore cannot do this yet (e.g. Search before anything is indexed).
error NotReady (description: string)

# The daemon failed; the description says what, and the journal has details.
error InternalError (description: string)

"""#
}
