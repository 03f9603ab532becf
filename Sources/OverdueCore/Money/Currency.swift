/// An ISO 4217 currency and the number of minor digits (its exponent) it is written with.
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let minorDigits: Int

    /// The currency for an ISO 4217 alphabetic code, or nil when the code is not an active currency.
    public init?(code: String) {
        guard let digits = Currency.exponents[code] else { return nil }
        self.code = code
        self.minorDigits = digits
    }

    public var description: String { code }

    /// Active ISO 4217 codes and their exponents (list one of the standard). Codes without
    /// minor units (funds, metals, XXX) are deliberately absent: an invoice is never in them.
    static let exponents: [String: Int] = {
        var table: [String: Int] = [:]
        let zero = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
        let three = "BHD IQD JOD KWD LYD OMR TND"
        let four = "CLF UYW"
        let two = """
            AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN \
            BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP \
            GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP \
            LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR \
            NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN \
            SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR \
            ZMW ZWG
            """
        for (list, digits) in [(zero, 0), (two, 2), (three, 3), (four, 4)] {
            for code in list.split(separator: " ") { table[String(code)] = digits }
        }
        return table
    }()
}
