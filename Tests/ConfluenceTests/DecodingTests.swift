import Foundation
import Testing
@testable import Confluence

@Suite("Tolerant decoding")
struct DecodingTests {
    @Test func v2PageWithNullsAndExtraFields() throws {
        let json = #"""
        {"results":[
          {"id":"123","status":"current","title":"Runbook","spaceId":"98765","parentId":null,"parentType":null,
           "position":null,"authorId":"712020:x","ownerId":null,"lastOwnerId":null,
           "createdAt":"2024-05-01T10:00:00.000Z",
           "version":{"number":7,"createdAt":"2025-01-02T03:04:05.678Z","message":"","minorEdit":false,"authorId":"a"},
           "body":{"storage":{"representation":"storage","value":"<p>x</p>"}},
           "_links":{"webui":"/spaces/ENG/pages/123/Runbook","editui":"/e","tinyui":"/x/AbCd"},
           "somethingNew":{"nested":[1,2,3]}},
          {"id":124,"title":null,"version":null,"body":{}}
        ],"_links":{"next":"/wiki/api/v2/pages?cursor=abc","base":"https://x.atlassian.net/wiki"},"extra":true}
        """#
        let list = try JSONDecoder().decode(V2List<V2Page>.self, from: Data(json.utf8))
        let first = list.results[0].model()
        #expect(first.id == "123" && first.parentId == nil && first.version == 7)
        #expect(first.storageBody == "<p>x</p>")
        #expect(first.createdAt == ISODate.parse("2024-05-01T10:00:00Z"))
        #expect(first.lastModified != nil)
        let second = list.results[1].model()
        #expect(second.id == "124" && second.title == "" && second.version == 1 && second.storageBody == nil)
        #expect(list._links?.next == "/wiki/api/v2/pages?cursor=abc")
    }

    @Test func v1ContentWithNumericSpaceIdAndAncestors() throws {
        let json = #"""
        {"results":[{"id":"55","type":"page","status":"current","title":"Child",
          "space":{"id":65538,"key":"GEN","name":"G"},
          "history":{"createdDate":"2021-12-31T00:00:00.000Z","latest":true},
          "version":{"number":3,"when":"2022-01-01T00:00:00.000Z","by":{"type":"known"}},
          "ancestors":[{"id":"1","type":"page"},{"id":"7","type":"page"}],
          "metadata":{"labels":{"results":[{"prefix":"global","name":"ops","id":"9","label":"ops"}]}},
          "_links":{"webui":"/display/GEN/Child"},"_expandable":{"children":""}}],
         "start":0,"limit":25,"size":1,"_links":{"base":"http://h/confluence","context":"/confluence"}}
        """#
        let array = try JSONDecoder().decode(V1ContentArray.self, from: Data(json.utf8))
        let page = array.results[0].model(spaceId: nil, includeLabels: true)
        #expect(page.spaceId == "65538")
        #expect(page.parentId == "7" && page.ancestorIds == ["1", "7"])
        #expect(page.labels == [Label(id: "9", name: "ops", prefix: "global")])
        #expect(page.version == 3 && page.createdAt != nil)
    }

    @Test func rateLimitResetWithMinutePrecision() {
        #expect(ISODate.parse("2026-03-02T10:15Z") == ISODate.parse("2026-03-02T10:15:00Z"))
        #expect(ISODate.parse("garbage") == nil)
        #expect(ISODate.parse(nil) == nil)
    }
}
