import Reporting
import XCTest

final class TextTableTests: XCTestCase {
    func testTextTableAlignsColumns() {
        var table = TextTable(headers: ["ID", "Status", "Acc"], alignments: [.right, .left, .right])
        table.append(["1", "completed", "84.10"])
        table.append(["12", "failed"])
        XCTAssertEqual(
            table.render(),
            """
            ID  Status       Acc
            --  ---------  -----
             1  completed  84.10
            12  failed

            """)
    }
}
