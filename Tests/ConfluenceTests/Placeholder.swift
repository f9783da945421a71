import Testing
@testable import Confluence
